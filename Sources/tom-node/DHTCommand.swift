import ArgumentParser
import Logging
import TomCrypto
import TomDHTNIO
import TomStore

/// `tom-node dht ...`: one-shot DHT operations for operators and scripts.
struct DHTCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dht",
        abstract: "One-shot Mainline DHT operations (BEP 5, BEP 44) through a short-lived node.",
        discussion: """
        Each verb starts a node on --dht-port (0 = ephemeral), joins through --bootstrap, runs one \
        operation, prints the result (text, or one JSON object with --json) and exits: 0 on success, \
        1 when nothing was found or stored, on timeout or error, 2 on bad arguments. \
        A TOPIC is hashed to a 20-byte info-hash with SHA-1 of its UTF-8 bytes; a 40-hex-digit \
        argument is taken as the hash itself. \
        Shared with --mode peer, and given before or after the verb: --bootstrap host:port,... \
        (default: the public Mainline routers), --dht-port (default 0 = ephemeral), --host (bind \
        address), --data-dir (the identity that signs mutable puts), --log-level, --log-format.
        """,
        subcommands: [
            DHTPing.self, DHTFindNode.self, DHTAnnounce.self, DHTGetPeers.self, DHTPut.self, DHTGet.self,
            DHTRoutingTable.self, DHTBench.self,
        ]
    )
}

struct DHTPing: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ping", abstract: "Ping one DHT node (no joining needed).")

    @Argument(help: "HOST:PORT of the node.") var endpoint: String
    @OptionGroup var flags: DHTClientOptions
    @ParentCommand var root: TomNodeCommand
    var options: DHTVerbSettings { DHTVerbSettings(flags, root: root) }

    func validate() throws {
        guard BootstrapResolver.split(endpoint) != nil else { throw ValidationError("'\(endpoint)' is not HOST:PORT") }
    }

    func run() async throws {
        let endpoint = self.endpoint
        try await DHTVerbRunner.run(options, verb: "ping", join: false) { driver, _ in
            let (addresses, failures) = await BootstrapResolver.resolve([endpoint], families: [driver.localAddress.family])
            guard let address = addresses.first else {
                throw Failure("cannot resolve \(failures.map(\.description).joined(separator: "; "))")
            }
            let started = ContinuousClock.now
            guard let node = try await driver.ping(address) else {
                return DHTReport(
                    text: "no answer from \(address)",
                    json: .object([("ok", .bool(false)), ("address", .string(address.description))]),
                    success: false
                )
            }
            let elapsed = ContinuousClock.now - started
            let milliseconds = Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
            let rounded = (milliseconds * 100).rounded() / 100
            return DHTReport(
                text: "pong from \(node.id.hex) at \(node.address) in \(rounded) ms",
                json: .object([("ok", .bool(true)), ("id", .string(node.id.hex)), ("address", .string(node.address.description)),
                               ("rtt_ms", .double(rounded))])
            )
        }
    }
}

struct DHTFindNode: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "find-node", abstract: "Find the nodes closest to an id.")

    @Argument(help: "The target id, 40 hex digits.") var target: String
    @OptionGroup var flags: DHTClientOptions
    @ParentCommand var root: TomNodeCommand
    var options: DHTVerbSettings { DHTVerbSettings(flags, root: root) }

    func validate() throws {
        guard NodeID(hex: target) != nil else { throw ValidationError("'\(target)' is not 40 hex digits") }
    }

    func run() async throws {
        let target = NodeID(hex: self.target)!
        try await DHTVerbRunner.run(options, verb: "find-node") { driver, _ in
            let result = try await driver.findNode(target)
            let lines = result.closestNodes.map { "\($0.id.hex)  \($0.address)  distance 2^\(159 - $0.id.commonPrefixLength(with: target))" }
            return DHTReport(
                text: (["\(result.closestNodes.count) closest nodes to \(target.hex) (\(result.statsText)):"] + lines).joined(separator: "\n"),
                json: .object([("ok", .bool(true)), ("target", .string(target.hex)),
                               ("nodes", .array(result.closestNodes.map(\.json)))] + result.statsJSON),
                success: !result.closestNodes.isEmpty
            )
        }
    }
}

struct DHTAnnounce: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "announce",
        abstract: "Announce a peer for a topic or info-hash.",
        discussion: """
        --port P announces peer port P (the root command's --port, given before or after the verb); \
        without it the announce uses implied_port, so nodes store this node's UDP source port.
        """
    )

    @Argument(help: "A topic name (hashed with SHA-1) or a 40-hex info-hash.") var topic: String
    @OptionGroup var flags: DHTClientOptions
    @ParentCommand var root: TomNodeCommand
    var options: DHTVerbSettings { DHTVerbSettings(flags, root: root) }

    func validate() throws {
        if let port = root.node.port, !(1...65535).contains(port) { throw ValidationError("--port must be 1...65535, got \(port)") }
    }

    func run() async throws {
        let infoHash = DHTTarget.infoHash(fromTopicOrHash: topic)
        // `--port` is parsed by the root command (it shares the name with the HTTP port).
        let port = root.node.port.map { UInt16($0) }
        try await DHTVerbRunner.run(options, verb: "announce") { driver, _ in
            let summary = try await driver.announce(infoHash, port: port)
            let announced = port.map { String($0) } ?? "\(driver.localAddress.port) (implied)"
            return DHTReport(
                text: "announced \(infoHash.hex) port \(announced): \(summary.text)",
                json: .object([("ok", .bool(summary.stored > 0)), ("info_hash", .string(infoHash.hex)),
                               ("port", .int(Int(port ?? driver.localAddress.port))), ("implied_port", .bool(port == nil))]
                              + summary.json),
                success: summary.stored > 0
            )
        }
    }
}

struct DHTGetPeers: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "get-peers", abstract: "Find the peers of a topic or info-hash.")

    @Argument(help: "A topic name (hashed with SHA-1) or a 40-hex info-hash.") var topic: String
    @OptionGroup var flags: DHTClientOptions
    @ParentCommand var root: TomNodeCommand
    var options: DHTVerbSettings { DHTVerbSettings(flags, root: root) }

    func run() async throws {
        let infoHash = DHTTarget.infoHash(fromTopicOrHash: topic)
        try await DHTVerbRunner.run(options, verb: "get-peers") { driver, _ in
            let result = try await driver.getPeers(infoHash)
            let peers = result.peers.map(\.description)
            return DHTReport(
                text: (["\(peers.count) peers for \(infoHash.hex) (\(result.statsText))"] + peers).joined(separator: "\n"),
                json: .object([("ok", .bool(!peers.isEmpty)), ("info_hash", .string(infoHash.hex)),
                               ("peers", .array(peers.map { .string($0) }))] + result.statsJSON),
                success: !peers.isEmpty
            )
        }
    }
}

struct DHTPut: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "put",
        abstract: "Store a BEP 44 item; prints its target.",
        discussion: """
        The value is stored as a bencoded byte string of its UTF-8 bytes (what libtorrent's \
        dht_put_*_item does with a string), or taken as bencode with --bencoded. A mutable item is \
        signed with the node identity in --data-dir; its seq is the current time in microseconds \
        since the Unix epoch unless --seq is given, so it never goes backwards across restarts.
        """
    )

    @Option(help: "The value.") var value: String
    @Option(help: "Salt of a mutable item (UTF-8 text, at most 64 bytes).") var salt: String?
    @Flag(help: "Store an immutable item (target = SHA-1 of the bencoded value) instead of a mutable one.") var immutable = false
    @Flag(help: "--value is canonical bencode text, stored as is.") var bencoded = false
    @Option(help: "Sequence number of a mutable item. (default: microseconds since the Unix epoch)") var seq: Int64?
    @Option(help: "Compare-and-swap: only replace an item whose seq is this (BEP 44 cas).") var cas: Int64?
    @OptionGroup var flags: DHTClientOptions
    @ParentCommand var root: TomNodeCommand
    var options: DHTVerbSettings { DHTVerbSettings(flags, root: root) }

    func validate() throws {
        if immutable && (salt != nil || seq != nil || cas != nil) {
            throw ValidationError("--salt, --seq and --cas apply to mutable items only")
        }
        if let salt, salt.utf8.count > 64 { throw ValidationError("--salt is \(salt.utf8.count) bytes; BEP 44 allows 64") }
        _ = try encodedValue()
    }

    func encodedValue() throws -> CanonicalBencode {
        guard bencoded else { return CanonicalBencode(.bytes(Array(value.utf8))) }
        do {
            return try CanonicalBencode(validating: Array(value.utf8))
        } catch {
            throw ValidationError("--value is not canonical bencode: \(error)")
        }
    }

    func run() async throws {
        let value = try encodedValue()
        let salt = Array((self.salt ?? "").utf8)
        let (immutable, seq, cas) = (self.immutable, self.seq, self.cas)
        var key: ItemSigningKey?
        if !immutable {
            do {
                key = ItemSigningKey(try NodeIdentity.loadOrCreate(in: DataDirectory(path: options.dataDirectory)).keyPair)
            } catch {
                throw Failure("\(error)")
            }
        }
        let signingKey = key
        try await DHTVerbRunner.run(options, verb: "put") { driver, _ in
            let summary: StoreSummary
            var fields: [(String, JSONOutput)]
            var text: String
            if let signingKey {
                let (item, stored) = try await driver.putMutable(
                    value: value, salt: salt, key: signingKey, sequenceNumber: seq, compareAndSwap: cas
                )
                summary = stored
                fields = [("kind", .string("mutable")), ("public_key", .string(Hex.encode(item.publicKey))),
                          ("salt", .string(String(decoding: salt, as: UTF8.self))), ("seq", .int(item.sequenceNumber))]
                text = "mutable item, public key \(Hex.encode(item.publicKey)), seq \(item.sequenceNumber)"
                if !salt.isEmpty { text += ", salt \(String(decoding: salt, as: UTF8.self))" }
            } else {
                summary = try await driver.putImmutable(value)
                fields = [("kind", .string("immutable"))]
                text = "immutable item"
            }
            let ok = summary.stored > 0
            return DHTReport(
                text: "\(summary.target.hex)\n\(text)\n\(summary.text)",
                json: .object([("ok", .bool(ok)), ("target", .string(summary.target.hex))] + fields + summary.json),
                success: ok
            )
        }
    }
}

struct DHTGet: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "get",
        abstract: "Fetch a BEP 44 item by target, or a mutable item by public key and salt."
    )

    @Argument(help: "The item's target, 40 hex digits (omit with --key).") var target: String?
    @Option(help: "Public key of a mutable item, 64 hex digits.") var key: String?
    @Option(help: "Salt of a mutable item (UTF-8 text); needed to verify a salted item fetched by target.") var salt: String?
    @OptionGroup var flags: DHTClientOptions
    @ParentCommand var root: TomNodeCommand
    var options: DHTVerbSettings { DHTVerbSettings(flags, root: root) }

    func validate() throws {
        switch (target, key) {
        case (nil, nil): throw ValidationError("give a TARGET or --key PUBKEY")
        case (.some, .some): throw ValidationError("give either a TARGET or --key, not both")
        case (.some(let target), nil):
            guard NodeID(hex: target) != nil else { throw ValidationError("'\(target)' is not 40 hex digits") }
        case (nil, .some(let key)):
            guard let bytes = Hex.decode(key), bytes.count == 32 else { throw ValidationError("--key must be 64 hex digits") }
        }
    }

    func run() async throws {
        let salt = Array((self.salt ?? "").utf8)
        let publicKey = key.flatMap { Hex.decode($0) }
        let target = publicKey.map { ItemTarget.mutable(publicKey: $0, salt: salt) } ?? NodeID(hex: self.target ?? "")!
        try await DHTVerbRunner.run(options, verb: "get") { driver, _ in
            let result = try await driver.get(target, salt: salt)
            guard let item = result.item else {
                return DHTReport(
                    text: "no item at \(target.hex) (\(result.statsText))",
                    json: .object([("ok", .bool(false)), ("found", .bool(false)), ("target", .string(target.hex))] + result.statsJSON),
                    success: false
                )
            }
            let (valueJSON, valueText) = valueFields(item.value)
            var fields: [(String, JSONOutput)] = [("ok", .bool(true)), ("found", .bool(true)), ("target", .string(target.hex))]
            var text = valueText
            switch item {
            case .immutable:
                fields.append(("kind", .string("immutable")))
                text += "\nimmutable item \(target.hex)"
            case .mutable(let mutable):
                fields += [("kind", .string("mutable")), ("public_key", .string(Hex.encode(mutable.publicKey))),
                           ("salt", .string(String(decoding: mutable.salt, as: UTF8.self))), ("seq", .int(mutable.sequenceNumber)),
                           ("signature", .string(Hex.encode(mutable.signature)))]
                text += "\nmutable item \(target.hex), public key \(Hex.encode(mutable.publicKey)), seq \(mutable.sequenceNumber)"
            }
            text += " (\(result.statsText))"
            return DHTReport(text: text, json: .object(fields + valueJSON + result.statsJSON))
        }
    }
}

struct DHTRoutingTable: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "routing-table",
        abstract: "List the routing table a peer saved in --data-dir (dht-routing-table); reads the file only."
    )

    @Flag(help: "Print one JSON object.") var json = false
    @ParentCommand var root: TomNodeCommand

    func run() async throws {
        let directory = DataDirectory(path: root.node.resolvedDataDirectory)
        let snapshot: RoutingTableSnapshot
        do {
            guard let saved = try RoutingTableFile.load(from: directory) else {
                throw Failure("no saved routing table at \(RoutingTableFile.path(in: directory))")
            }
            snapshot = saved
        } catch let error as RoutingTableFile.LoadError {
            throw Failure("\(error)")
        }
        if json {
            print(JSONOutput.object([("ok", .bool(true)), ("id", .string(snapshot.ownID.hex)),
                                     ("nodes", .array(snapshot.nodes.map(\.json)))]).rendered)
        } else {
            print("node \(snapshot.ownID.hex), \(snapshot.nodes.count) saved nodes")
            for node in snapshot.nodes { print("\(node.id.hex)  \(node.address)") }
        }
    }
}
