// Transcripts from each source: the caller, mov_text / SubRip / ASS streams, sidecar .srt / .vtt, none.
import Foundation
import Media
import Testing

@Suite("Transcripts")
struct TranscriptTests {
    let all = "hello from the first cue second cue third cue"

    @Test("the caller's transcript wins")
    func caller() throws {
        let s = try MediaPreprocessor().process(.file(try TestMedia.path("index.mp4")), transcript: "hi there")
        #expect(s.transcript == Transcript(text: "hi there", source: .caller))
        #expect(s.modalities == ["language", "vision", "audio"])
    }

    @Test("subtitle streams: mov_text, SubRip, ASS (markup stripped)",
          arguments: [("index.mp4", "mov_text"), ("index.mkv", "subrip"), ("ass.mkv", "ass")])
    func stream(name: String, codec: String) throws {
        let s = try MediaPreprocessor().process(.file(try TestMedia.path(name)))
        let t = try #require(s.transcript)
        #expect(t.text == all)
        guard case .subtitleStream(_, let c) = t.source else { Issue.record("source \(t.source)"); return }
        #expect(c == codec)
        #expect(t.cues.count == 3)
    }

    @Test("only the cues overlapping the window, in order")
    func windowed() throws {
        let p = MediaPreprocessor()
        let path = try TestMedia.path("index.mkv")
        #expect(try p.process(.file(path), window: SegmentWindow(start: 1.8, duration: 1)).transcript?.text == "second cue")
        #expect(try p.process(.file(path), window: SegmentWindow(start: 1.0, duration: 1.1)).transcript?.text
                == "hello from the first cue second cue")
        let none = try p.process(.file(path), window: SegmentWindow(start: 1.55, duration: 0.4))
        #expect(none.transcript == nil)
        #expect(none.missing["language"] != nil)
        #expect(!none.modalities.contains("language"))
    }

    @Test("sidecar .srt and .vtt next to the file", arguments: [
        ("sidecar_srt.mp4", "sidecar_srt.srt", "hello from the first cue second cue third cue"),
        ("sidecar_vtt.mp4", "sidecar_vtt.vtt", "vtt says hello vtt second cue"),
    ])
    func sidecar(name: String, sidecar: String, text: String) throws {
        let s = try MediaPreprocessor().process(.file(try TestMedia.path(name)))
        #expect(s.transcript?.text == text)
        #expect(s.transcript?.source == .sidecar(path: try TestMedia.path(sidecar)))
    }

    @Test("a Latin-1 sidecar (not valid UTF-8) is read as Latin-1")
    func latin1Sidecar() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("merclip-latin1-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let video = dir.appendingPathComponent("clip.mp4")
        try FileManager.default.copyItem(atPath: try TestMedia.path("sidecar_srt.mp4"), toPath: video.path)
        // "café à la crème" in ISO 8859-1: é = 0xE9, à = 0xE0, è = 0xE8.
        let cue = Array("1\n00:00:00,500 --> 00:00:01,500\ncaf".utf8) + [0xE9] + Array(" ".utf8) + [0xE0]
            + Array(" la cr".utf8) + [0xE8] + Array("me\n".utf8)
        try Data(cue).write(to: dir.appendingPathComponent("clip.srt"))
        let s = try MediaPreprocessor().process(.file(video.path))
        #expect(s.transcript?.text == "café à la crème")
    }

    @Test("no transcript anywhere: the language modality is missing")
    func none() throws {
        let s = try MediaPreprocessor().process(.file(try TestMedia.path("tone.mp3")))
        #expect(s.transcript == nil)
        #expect(s.modalities == ["audio"])
        // Bytes have no sidecar.
        let data = try Data(contentsOf: URL(fileURLWithPath: try TestMedia.path("sidecar_srt.mp4")))
        #expect(try MediaPreprocessor().process(.bytes(data, name: "x.mp4")).transcript == nil)
    }

    @Test("markup stripping and cue parsing")
    func parsing() {
        #expect(SubtitleText.plainFromASSEvent("0,0,Default,,0,0,0,,{\\i1}second{\\i0} cue\\Nnext") == "second cue next")
        #expect(SubtitleText.plain("<v Speaker>hi</v> <b>there</b> a < b &amp; c") == "hi there a < b & c")
        let cues = SubtitleText.parseCues("WEBVTT\n\n00:01.000 --> 00:02.500 align:start\nOne\n\n1\n00:00:03,000 --> 00:00:04,000\nTwo\nlines\n")
        #expect(cues == [SubtitleCue(start: 1, end: 2.5, text: "One"), SubtitleCue(start: 3, end: 4, text: "Two lines")])
    }
}

@Suite("Probe")
struct ProbeTests {
    @Test("duration and streams from the headers")
    func probe() throws {
        let info = try MediaProbe.probe(.file(try TestMedia.path("index.mkv")))
        #expect(abs((info.duration ?? 0) - 4.02) < 0.05)
        #expect(info.videoCodec == "h264" && info.audioCodec == "aac" && info.subtitleCodec == "subrip")
        #expect(try MediaProbe.duration(of: .file(try TestMedia.path("tone.flac"))) == 3)
        #expect(throws: MediaError.self) { try MediaProbe.duration(of: .file(try TestMedia.path("corrupt.mp4"))) }
    }
}
