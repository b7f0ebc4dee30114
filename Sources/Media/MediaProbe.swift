// MediaProbe: what an input holds (container, duration, streams) without decoding it.
import CFFmpeg
import Foundation

public enum MediaProbe {
    /// The media's duration in seconds (nil when the container does not say). Throws MediaError.
    public static func duration(of input: MediaInput, limits: MediaLimits = .default) throws -> Double? {
        try probe(input, limits: limits).duration
    }

    /// Container, duration and the streams the preprocessor would use; reads headers only.
    public static func probe(_ input: MediaInput, limits: MediaLimits = .default) throws -> MediaInfo {
        let deadline = Deadline(limit: limits.decodeTimeLimit, input: input.name)
        var info = MediaInfo()
        if case .file(let path) = input {
            _ = try RegularFile.check(path)
            if !FileManager.default.isReadableFile(atPath: path) {
                throw MediaError(.unreadable, input: path, reason: "no such readable file")
            }
        }
        if let sound = SoundFile(input) { return MediaInfo(sound: sound) }
        let format = try FormatInput(input, deadline: deadline, demuxers: limits.demuxers)
        info.container = format.formatName
        info.duration = format.duration
        info.startTime = format.startTime
        for i in 0..<format.streamCount {
            let par = format.parameters(i)
            switch par.pointee.codec_type {
            case AVMEDIA_TYPE_VIDEO where info.videoCodec == nil
                && format.stream(i).pointee.disposition & AV_DISPOSITION_ATTACHED_PIC == 0:
                info.videoCodec = Decoder.describe(par)
                info.width = Int(par.pointee.width)
                info.height = Int(par.pointee.height)
                info.rotation = FrameConverter.rotation(of: format.stream(i))
            case AVMEDIA_TYPE_AUDIO where info.audioCodec == nil:
                info.audioCodec = Decoder.describe(par)
                info.audioSampleRate = Int(par.pointee.sample_rate)
                info.audioChannels = Int(par.pointee.ch_layout.nb_channels)
                info.audioReader = "ffmpeg"
            case AVMEDIA_TYPE_SUBTITLE where info.subtitleCodec == nil:
                info.subtitleCodec = Decoder.describe(par)
            default:
                break
            }
        }
        return info
    }
}
