import Glibc
import Logging
import NIOCore
import NIOPosix
import TomDHT
import TomDHTNIO
import TomStore

/// Drivers on 127.0.0.1 with short timeouts, so a lost answer costs little test time.
enum TestDrivers {
    static let logger: Logger = {
        var logger = Logger(label: "dht-test")
        logger.logLevel = .warning
        return logger
    }()

    static func configuration(dataDirectory: DataDirectory? = nil) -> DHTDriverConfiguration {
        var configuration = DHTDriverConfiguration()
        configuration.host = "127.0.0.1"
        configuration.port = 0
        configuration.dht.queryTimeout = .milliseconds(500)
        configuration.dataDirectory = dataDirectory
        configuration.bootstrapRetryDelay = .milliseconds(20)
        return configuration
    }

    static func start(dataDirectory: DataDirectory? = nil) async throws -> DHTDriver {
        try await DHTDriver.start(configuration: configuration(dataDirectory: dataDirectory), logger: logger)
    }

    /// Starts `count` drivers, all joined through the first, and waits until the first has
    /// confirmed every other one (so its answers name them all).
    static func network(_ count: Int) async throws -> [DHTDriver] {
        var drivers = [try await start()]
        for _ in 1..<count {
            let driver = try await start()
            let summary = try await driver.bootstrap(contacts: [drivers[0].localAddress])
            precondition(summary.contactsAnswered == 1)
            drivers.append(driver)
        }
        try await eventually("the hub confirms every node") {
            try await drivers[0].status().confirmedNodes == count - 1
        }
        return drivers
    }

    static func shutdown(_ drivers: [DHTDriver]) async {
        for driver in drivers { await driver.shutdown() }
    }
}

struct ConditionTimedOut: Error, CustomStringConvertible {
    let description: String
}

/// Polls `condition` every 10 ms until it holds; fails after `seconds`.
func eventually(_ what: String, seconds: Double = 10, _ condition: () async throws -> Bool) async throws {
    let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
    while ContinuousClock.now < deadline {
        if try await condition() { return }
        try await Task.sleep(for: .milliseconds(10))
    }
    throw ConditionTimedOut(description: "timed out waiting until \(what)")
}

/// A fresh private directory under /tmp.
func temporaryDirectory() -> String {
    var template = Array("/tmp/tom-dht-test-XXXXXX".utf8CString)
    return template.withUnsafeMutableBufferPointer { buffer -> String in
        guard let base = buffer.baseAddress, let result = mkdtemp(base) else { return "/tmp/tom-dht-test-\(getpid())" }
        return String(cString: result)
    }
}

func removeDirectory(_ path: String) {
    if let directory = opendir(path) {
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(cString: raw.bindMemory(to: CChar.self).baseAddress!)
            }
            if name != "." && name != ".." { unlink(path + "/" + name) }
        }
        closedir(directory)
    }
    rmdir(path)
}
