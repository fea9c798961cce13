import Glibc
import NIOCore
import NIOPosix

/// The load generator of `tom-node dht bench`: one thread, one connected UDP socket,
/// queries sent and answers read in batches (sendmmsg / recvmmsg), `window` queries kept in
/// flight, each with its own transaction id.
///
/// An event-loop generator spends about as much per query as the node it measures (a
/// pipeline pass, a ByteBuffer and an envelope each way), so on two cores it, not the node,
/// set the ceiling. This one costs two system calls per batch of up to 32 queries.
enum DatagramLoadGenerator {
    /// Answers per second over `seconds`, after `warmUp` seconds, from `target` (IPv4).
    /// With `countOnlyResponses`, only KRPC responses count (a DHT node also sends its own
    /// queries, such as the ping that verifies a new querier).
    static func measure(
        target: SocketAddress, query: [UInt8], countOnlyResponses: Bool, window: Int, seconds: Double, warmUp: Double = 0.5
    ) async throws -> Double {
        guard case .v4(let address) = target else { throw GeneratorError.notIPv4 }
        let pool = NIOThreadPool(numberOfThreads: 1)
        pool.start()
        defer { pool.shutdownGracefully { _ in } }
        let destination = address.address
        return try await pool.runIfActive {
            try run(target: destination, query: query, countOnlyResponses: countOnlyResponses, window: window, seconds: seconds, warmUp: warmUp)
        }
    }

    enum GeneratorError: Error, CustomStringConvertible {
        case notIPv4
        case system(String, Int32)
        case noBatchCalls

        var description: String {
            switch self {
            case .notIPv4: "the load generator needs an IPv4 target"
            case .system(let call, let code): "\(call) failed: \(String(cString: strerror(code)))"
            case .noBatchCalls: "sendmmsg/recvmmsg not found in libc"
            }
        }
    }

    /// `struct mmsghdr` (sys/socket.h, hidden behind _GNU_SOURCE in Swift's Glibc module).
    struct MultipleMessageHeader {
        var header: msghdr
        var length: UInt32
    }

    typealias BatchCall = @convention(c) (Int32, UnsafeMutableRawPointer?, UInt32, Int32, UnsafeMutableRawPointer?) -> Int32

    /// MSG_WAITFORONE (Linux): return as soon as one datagram is in, with all that are.
    static let waitForOne: Int32 = 0x10000
    static let batchSize = 32
    static let receiveSlots = 64
    static let receiveBytes = 2048

    private static func run(
        target: sockaddr_in, query: [UInt8], countOnlyResponses: Bool, window: Int, seconds: Double, warmUp: Double
    ) throws -> Double {
        precondition(MemoryLayout<MultipleMessageHeader>.stride == 64 || MemoryLayout<Int>.size != 8)
        guard let sendSymbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "sendmmsg"),
              let receiveSymbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "recvmmsg")
        else { throw GeneratorError.noBatchCalls }
        let sendBatch = unsafeBitCast(sendSymbol, to: BatchCall.self)
        // recvmmsg's last argument is a timeout pointer; nil, the socket's SO_RCVTIMEO applies.
        let receiveBatch = unsafeBitCast(receiveSymbol, to: BatchCall.self)

        let socket = Glibc.socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        guard socket >= 0 else { throw GeneratorError.system("socket", errno) }
        defer { close(socket) }
        var bufferSize: Int32 = 4 << 20
        _ = setsockopt(socket, SOL_SOCKET, SO_RCVBUF, &bufferSize, socklen_t(MemoryLayout<Int32>.size))
        _ = setsockopt(socket, SOL_SOCKET, SO_SNDBUF, &bufferSize, socklen_t(MemoryLayout<Int32>.size))
        // Answers lost on the way are written off after 5 ms without any.
        var timeout = timeval(tv_sec: 0, tv_usec: 5_000)
        _ = setsockopt(socket, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var destination = target
        let connected = withUnsafePointer(to: &destination) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw GeneratorError.system("connect", errno) }

        // Where the transaction id sits ("1:t2:xx"), so each query gets its own.
        let marker = Array("1:t2:".utf8)
        let transactionOffset = query.count < marker.count ? nil : (0...(query.count - marker.count)).first { query[$0..<($0 + marker.count)].elementsEqual(marker) }
            .map { $0 + marker.count }
        let queryLength = query.count
        let sendBuffers = UnsafeMutableRawBufferPointer.allocate(byteCount: batchSize * queryLength, alignment: 8)
        let receiveBuffers = UnsafeMutableRawBufferPointer.allocate(byteCount: receiveSlots * receiveBytes, alignment: 8)
        let sendVectors = UnsafeMutableBufferPointer<iovec>.allocate(capacity: batchSize)
        let receiveVectors = UnsafeMutableBufferPointer<iovec>.allocate(capacity: receiveSlots)
        let sendHeaders = UnsafeMutableBufferPointer<MultipleMessageHeader>.allocate(capacity: batchSize)
        let receiveHeaders = UnsafeMutableBufferPointer<MultipleMessageHeader>.allocate(capacity: receiveSlots)
        defer {
            sendBuffers.deallocate()
            receiveBuffers.deallocate()
            sendVectors.deallocate()
            receiveVectors.deallocate()
            sendHeaders.deallocate()
            receiveHeaders.deallocate()
        }
        for slot in 0..<batchSize {
            let base = sendBuffers.baseAddress! + slot * queryLength
            query.withUnsafeBytes { base.copyMemory(from: $0.baseAddress!, byteCount: queryLength) }
            sendVectors[slot] = iovec(iov_base: base, iov_len: queryLength)
            var header = msghdr()
            header.msg_iov = sendVectors.baseAddress! + slot
            header.msg_iovlen = 1
            sendHeaders[slot] = MultipleMessageHeader(header: header, length: 0)
        }
        for slot in 0..<receiveSlots {
            receiveVectors[slot] = iovec(iov_base: receiveBuffers.baseAddress! + slot * receiveBytes, iov_len: receiveBytes)
        }

        let responseSuffix = Array("1:y1:re".utf8)
        var transaction: UInt16 = 0
        var inFlight = 0
        var answers = 0
        let started = monotonicSeconds()
        var measureStart: (time: Double, answers: Int)?
        while true {
            let now = monotonicSeconds()
            if measureStart == nil, now - started >= warmUp { measureStart = (now, answers) }
            if let start = measureStart, now - start.time >= seconds {
                return Double(answers - start.answers) / (now - start.time)
            }
            // Fill the window.
            while inFlight < window {
                let count = min(batchSize, window - inFlight)
                if let transactionOffset {
                    for slot in 0..<count {
                        transaction &+= 1
                        let base = sendBuffers.baseAddress! + slot * queryLength + transactionOffset
                        base.storeBytes(of: UInt8(truncatingIfNeeded: transaction >> 8), as: UInt8.self)
                        (base + 1).storeBytes(of: UInt8(truncatingIfNeeded: transaction), as: UInt8.self)
                    }
                }
                let sent = sendBatch(socket, UnsafeMutableRawPointer(sendHeaders.baseAddress!), UInt32(count), 0, nil)
                guard sent > 0 else { break }
                inFlight += Int(sent)
            }
            // Read what has arrived (at least one, or the timeout).
            for slot in 0..<receiveSlots {
                var header = msghdr()
                header.msg_iov = receiveVectors.baseAddress! + slot
                header.msg_iovlen = 1
                receiveHeaders[slot] = MultipleMessageHeader(header: header, length: 0)
            }
            let received = receiveBatch(socket, UnsafeMutableRawPointer(receiveHeaders.baseAddress!), UInt32(receiveSlots), waitForOne, nil)
            guard received > 0 else {
                // Nothing for 5 ms (or a refused datagram): whatever is in flight is lost.
                inFlight = 0
                continue
            }
            for slot in 0..<Int(received) {
                let length = Int(receiveHeaders[slot].length)
                if countOnlyResponses {
                    let bytes = UnsafeRawBufferPointer(start: receiveBuffers.baseAddress! + slot * receiveBytes, count: min(length, receiveBytes))
                    // KRPC keys are sorted and `y` is the last one: a response ends with "1:y1:re".
                    guard bytes.count >= responseSuffix.count, bytes.suffix(responseSuffix.count).elementsEqual(responseSuffix) else { continue }
                }
                answers += 1
                inFlight = max(0, inFlight - 1)
            }
        }
    }

    private static func monotonicSeconds() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }
}
