/// An IPv4 address, held as its 32-bit big-endian value.
public struct IPv4Address: Hashable, Sendable {
    public var value: UInt32

    public init(_ value: UInt32) {
        self.value = value
    }

    public init(_ a: UInt8, _ b: UInt8, _ c: UInt8, _ d: UInt8) {
        self.value = UInt32(a) << 24 | UInt32(b) << 16 | UInt32(c) << 8 | UInt32(d)
    }

    /// Reads exactly 4 bytes in network order.
    public init?(bytes: some Collection<UInt8>) {
        guard bytes.count == 4 else { return nil }
        self.value = bytes.reduce(0) { $0 << 8 | UInt32($1) }
    }

    /// Parses dotted-quad text such as "124.31.75.21"; nil for anything else.
    public init?(_ text: String) {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var value: UInt32 = 0
        for part in parts {
            guard (1...3).contains(part.utf8.count),
                  part.utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }),
                  let octet = UInt8(part)
            else { return nil }
            value = value << 8 | UInt32(octet)
        }
        self.value = value
    }

    public var bytes: [UInt8] {
        [UInt8(truncatingIfNeeded: value >> 24), UInt8(truncatingIfNeeded: value >> 16),
         UInt8(truncatingIfNeeded: value >> 8), UInt8(truncatingIfNeeded: value)]
    }

    private func isInside(_ network: UInt32, prefixLength: Int) -> Bool {
        let mask: UInt32 = prefixLength == 0 ? 0 : ~0 << UInt32(32 - prefixLength)
        return value & mask == network & mask
    }

    /// 127.0.0.0/8.
    public var isLoopback: Bool { isInside(IPv4Address(127, 0, 0, 0).value, prefixLength: 8) }

    /// 10.0.0.0/8, 172.16.0.0/12 and 192.168.0.0/16 (RFC 1918).
    public var isPrivate: Bool {
        isInside(IPv4Address(10, 0, 0, 0).value, prefixLength: 8)
            || isInside(IPv4Address(172, 16, 0, 0).value, prefixLength: 12)
            || isInside(IPv4Address(192, 168, 0, 0).value, prefixLength: 16)
    }

    /// 169.254.0.0/16, self-assigned addresses.
    public var isLinkLocal: Bool { isInside(IPv4Address(169, 254, 0, 0).value, prefixLength: 16) }
}

extension IPv4Address: CustomStringConvertible {
    public var description: String { bytes.map(String.init).joined(separator: ".") }
}

/// An IPv6 address, held as two 64-bit big-endian halves.
public struct IPv6Address: Hashable, Sendable {
    public var high: UInt64
    public var low: UInt64

    public init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    /// Reads exactly 16 bytes in network order.
    public init?(bytes: some Collection<UInt8>) {
        guard bytes.count == 16 else { return nil }
        let all = Array(bytes)
        self.high = all[0..<8].reduce(0) { $0 << 8 | UInt64($1) }
        self.low = all[8..<16].reduce(0) { $0 << 8 | UInt64($1) }
    }

    /// Parses hexadecimal groups with at most one "::", such as "2001:db8::1".
    /// Embedded dotted IPv4 suffixes and zone ids are not accepted.
    public init?(_ text: String) {
        let halves = text.split(separator: "::", maxSplits: 2, omittingEmptySubsequences: false)
        guard halves.count <= 2 else { return nil }
        func groups(_ part: Substring) -> [UInt16]? {
            if part.isEmpty { return [] }
            var result: [UInt16] = []
            for group in part.split(separator: ":", omittingEmptySubsequences: false) {
                guard (1...4).contains(group.utf8.count),
                      group.utf8.allSatisfy({ Hex.value(of: $0) != nil }),
                      let number = UInt16(group, radix: 16)
                else { return nil }
                result.append(number)
            }
            return result
        }
        guard let head = groups(halves[0]) else { return nil }
        var all = head
        if halves.count == 2 {
            guard let tail = groups(halves[1]), head.count + tail.count < 8 else { return nil }
            all += Array(repeating: 0, count: 8 - head.count - tail.count) + tail
        }
        guard all.count == 8 else { return nil }
        self.high = all[0..<4].reduce(0) { $0 << 16 | UInt64($1) }
        self.low = all[4..<8].reduce(0) { $0 << 16 | UInt64($1) }
    }

    public var bytes: [UInt8] {
        var result: [UInt8] = []
        result.reserveCapacity(16)
        for shift in stride(from: 56, through: 0, by: -8) { result.append(UInt8(truncatingIfNeeded: high >> UInt64(shift))) }
        for shift in stride(from: 56, through: 0, by: -8) { result.append(UInt8(truncatingIfNeeded: low >> UInt64(shift))) }
        return result
    }

    /// ::1.
    public var isLoopback: Bool { high == 0 && low == 1 }

    /// fc00::/7, unique local addresses (the IPv6 counterpart of RFC 1918).
    public var isUniqueLocal: Bool { high >> 57 == 0xfc >> 1 }

    /// fe80::/10.
    public var isLinkLocal: Bool { high >> 54 == 0xfe80 >> 6 }
}

extension IPv6Address: CustomStringConvertible {
    /// Eight groups of lowercase hex, compressing the longest run of zero groups as RFC 5952 asks.
    public var description: String {
        let groups = (0..<8).map { index -> UInt16 in
            let word = index < 4 ? high : low
            return UInt16(truncatingIfNeeded: word >> UInt64(48 - 16 * (index % 4)))
        }
        var bestStart = -1
        var bestLength = 0
        var runStart = -1
        for index in 0...8 {
            if index < 8, groups[index] == 0 {
                if runStart < 0 { runStart = index }
            } else if runStart >= 0 {
                if index - runStart > bestLength, index - runStart >= 2 {
                    bestStart = runStart
                    bestLength = index - runStart
                }
                runStart = -1
            }
        }
        func hex(_ range: Range<Int>) -> String {
            groups[range].map { String($0, radix: 16) }.joined(separator: ":")
        }
        guard bestStart >= 0 else { return hex(0..<8) }
        return hex(0..<bestStart) + "::" + hex((bestStart + bestLength)..<8)
    }
}

/// An IPv4 or IPv6 address as carried in DHT messages.
public enum IPAddress: Hashable, Sendable {
    case v4(IPv4Address)
    case v6(IPv6Address)

    /// Reads 4 or 16 network-order bytes.
    public init?(bytes: some Collection<UInt8>) {
        switch bytes.count {
        case 4: guard let address = IPv4Address(bytes: bytes) else { return nil }; self = .v4(address)
        case 16: guard let address = IPv6Address(bytes: bytes) else { return nil }; self = .v6(address)
        default: return nil
        }
    }

    /// Parses either textual form.
    public init?(_ text: String) {
        if let address = IPv4Address(text) {
            self = .v4(address)
        } else if let address = IPv6Address(text) {
            self = .v6(address)
        } else {
            return nil
        }
    }

    public var bytes: [UInt8] {
        switch self {
        case .v4(let address): return address.bytes
        case .v6(let address): return address.bytes
        }
    }

    public var family: AddressFamily {
        switch self {
        case .v4: return .v4
        case .v6: return .v6
        }
    }

    /// Loopback, private (RFC 1918 / unique local) and link-local addresses.
    ///
    /// BEP 42 exempts these from node-id verification, and routing tables need not limit
    /// them to one node per address, because many local nodes legitimately share them.
    public var isLocalNetwork: Bool {
        switch self {
        case .v4(let address): return address.isLoopback || address.isPrivate || address.isLinkLocal
        case .v6(let address): return address.isLoopback || address.isUniqueLocal || address.isLinkLocal
        }
    }
}

extension IPAddress: CustomStringConvertible {
    public var description: String {
        switch self {
        case .v4(let address): return address.description
        case .v6(let address): return address.description
        }
    }
}

/// Which IP version a value belongs to; BEP 32 calls these "n4" and "n6".
public enum AddressFamily: Hashable, Sendable, CaseIterable {
    case v4
    case v6
}
