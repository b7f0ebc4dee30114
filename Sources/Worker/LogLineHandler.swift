// LogLineHandler: the swift-log backend that writes each event as one line in LogSettings' format.
import Foundation
import Logging

public struct LogLineHandler: LogHandler {
    /// The component the lines name (the logger's label).
    public let label: String
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    private var ownLevel: Logger.Level?

    public init(label: String, metadataProvider: Logger.MetadataProvider? = nil) {
        self.label = label
        self.metadataProvider = metadataProvider
    }

    /// LogSettings.level, unless this logger's level was set.
    public var logLevel: Logger.Level {
        get { ownLevel ?? LogSettings.level }
        set { ownLevel = newValue }
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var fields = metadata
        if let provided = metadataProvider?.get() { fields.merge(provided) { _, new in new } }
        if let own = event.metadata { fields.merge(own) { _, new in new } }
        if let error = event.error, fields["error"] == nil { fields["error"] = .string("\(error)") }
        let line = LogLine(time: Date(), level: event.level, component: label, message: event.message.description,
                           fields: fields)
        LogSettings.write(line.formatted(LogSettings.format))
    }
}
