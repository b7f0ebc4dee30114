// PostgresFault: whose fault a Postgres error is, from its SQLSTATE (the one table of the Postgres sink).

/// A segment's fault (its row breaks a rule of the database: to the DLQ) or the system's (the database,
/// its connection, privileges, disk or timeouts: retried with backoff, never sent to the DLQ).
public enum PostgresFault: String, Sendable, CaseIterable {
    case segment
    case system

    /// Exact SQLSTATE codes whose fault differs from their class's.
    static let codes: [String: PostgresFault] = [
        "40002": .segment,   // transaction_integrity_constraint_violation (a deferred constraint)
    ]

    /// SQLSTATE classes (the first two characters) → fault. A class not listed is the system's.
    static let classes: [String: PostgresFault] = [
        "09": .segment,      // triggered action exception
        "21": .segment,      // cardinality violation (one upsert touching a row twice)
        "22": .segment,      // data exception (bad value, out of range, bad encoding, bad JSON)
        "23": .segment,      // integrity constraint violation (check, not null, foreign key, unique)
        "27": .segment,      // triggered data change violation
        "44": .segment,      // WITH CHECK OPTION violation
        "54": .segment,      // program limit exceeded (a row or value too large for an index)
        "P0": .segment,      // PL/pgSQL raise (a trigger refusing the row)
        "08": .system,       // connection exception
        "0A": .system,       // feature not supported (server version)
        "25": .system,       // invalid transaction state (25006 read-only transaction: a standby)
        "28": .system,       // invalid authorization specification
        "3D": .system,       // invalid catalog name (no such database)
        "3F": .system,       // invalid schema name
        "40": .system,       // transaction rollback (40001 serialization failure, 40P01 deadlock)
        "42": .system,       // syntax error or access rule (42501 insufficient privilege, 42P01 undefined table)
        "53": .system,       // insufficient resources (53100 disk full, 53200 out of memory, 53300 too many connections)
        "55": .system,       // object not in prerequisite state (55P03 lock not available)
        "57": .system,       // operator intervention (57014 statement timeout, 57P01-03 shutdown, cannot connect now)
        "58": .system,       // system error (58030 I/O error)
        "72": .system,       // snapshot too old
        "F0": .system,       // configuration file error
        "HV": .system,       // foreign data wrapper error
        "XX": .system,       // internal error, data or index corrupted
    ]

    /// The fault of an error with `sqlState`; an empty state (no server answer) and an unknown class
    /// are the system's: retrying is always safe, sending a good segment to the DLQ is not.
    public static func of(sqlState: String) -> PostgresFault {
        let state = sqlState.uppercased()
        if let f = codes[state] { return f }
        return classes[String(state.prefix(2))] ?? .system
    }
}
