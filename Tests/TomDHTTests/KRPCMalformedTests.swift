import Bencode
import Testing
import TomDHT

@Suite("KRPC: malformed messages give typed errors")
struct KRPCMalformedTests {
    @Test("envelope problems", arguments: KRPCMalformedCases.envelope)
    func malformedEnvelope(text: String, expected: KRPCDecodingError) {
        #expect(throws: expected) { try KRPCMessage.decode(Array(text.utf8)) }
    }

    @Test("query problems carry the transaction id", arguments: KRPCMalformedCases.queries)
    func malformedQuery(text: String, reason: KRPCDecodingError.Reason) {
        let expected = KRPCDecodingError(reason: reason, transactionID: KRPCMalformedCases.transaction, isQuery: true)
        #expect(throws: expected) { try KRPCMessage.decode(Array(text.utf8)) }
    }

    @Test("response problems", arguments: KRPCMalformedCases.responses)
    func malformedResponse(text: String, reason: KRPCDecodingError.Reason) {
        let expected = KRPCDecodingError(reason: reason, transactionID: KRPCMalformedCases.transaction, isQuery: false)
        #expect(throws: expected) { try KRPCMessage.decode(Array(text.utf8)) }
    }

    @Test("error message problems", arguments: KRPCMalformedCases.errorReplies)
    func malformedErrorReply(text: String, reason: KRPCDecodingError.Reason) {
        let expected = KRPCDecodingError(reason: reason, transactionID: KRPCMalformedCases.transaction, isQuery: false)
        #expect(throws: expected) { try KRPCMessage.decode(Array(text.utf8)) }
    }

    @Test func lenientFormsThatRealClientsSend() throws {
        // An error without a message, and with extra elements.
        let bare = try KRPCMessage.decode(Array("d1:eli202ee1:t2:aa1:y1:ee".utf8))
        #expect(bare.errorReply == KRPCErrorReply(code: .serverError, message: ""))
        let extra = try KRPCMessage.decode(Array("d1:eli203e3:badi1ee1:t2:aa1:y1:ee".utf8))
        #expect(extra.errorReply == KRPCErrorReply(code: .protocolError, message: "bad"))
        // announce_peer with implied_port may omit the port.
        let announce = try KRPCMessage.decode(Array(KRPCMalformedCases.query(
            "announce_peer", "12:implied_porti1e9:info_hash20:mnopqrstuvwxyz1234565:token1:x").utf8))
        guard case .announcePeer(let arguments)? = announce.query?.method else {
            Issue.record("expected announce_peer")
            return
        }
        #expect(arguments.impliedPort && arguments.port == 0)
        // Unknown methods decode so the node can answer 204; unknown keys are ignored.
        let unknown = try KRPCMessage.decode(Array(KRPCMalformedCases.query("vote", "6:targeti3e").utf8))
        #expect(unknown.query?.method == .unknown(name: Array("vote".utf8)))
        // Unknown `want` entries are ignored.
        let want = try KRPCMessage.decode(Array(KRPCMalformedCases.query("find_node", "6:target20:mnopqrstuvwxyz1234564:wantl2:n62:n9e").utf8))
        #expect(want.query?.method == .findNode(FindNodeArguments(target: NodeID(bytes: Array("mnopqrstuvwxyz123456".utf8))!, want: [.v6])))
        // An empty transaction id is echoed as is.
        let empty = try KRPCMessage.decode(Array("d1:rd2:id\(KRPCMalformedCases.id)e1:t0:1:y1:re".utf8))
        #expect(empty.transactionID == [])
    }

    @Test func limitsCapListsAndLengths() {
        let limits = KRPCLimits(maxTransactionIDLength: 4, maxTokenLength: 2, maxNodesPerResponse: 1, maxValuesPerResponse: 1)
        let twoNodes = KRPCMalformedCases.response("5:nodes52:\(String(repeating: "n", count: 52))")
        #expect(throws: KRPCDecodingError(reason: .tooManyEntries("r.nodes"), transactionID: KRPCMalformedCases.transaction)) {
            try KRPCMessage.decode(Array(twoNodes.utf8), limits: limits)
        }
        let twoValues = KRPCMalformedCases.response("6:valuesl6:abcdef6:abcdefe")
        #expect(throws: KRPCDecodingError(reason: .tooManyEntries("r.values"), transactionID: KRPCMalformedCases.transaction)) {
            try KRPCMessage.decode(Array(twoValues.utf8), limits: limits)
        }
        let longToken = KRPCMalformedCases.response("5:token3:abc")
        #expect(throws: KRPCDecodingError(reason: .invalidLength("r.token"), transactionID: KRPCMalformedCases.transaction)) {
            try KRPCMessage.decode(Array(longToken.utf8), limits: limits)
        }
        let longTransaction = "d1:rd2:id\(KRPCMalformedCases.id)e1:t5:abcde1:y1:re"
        #expect(throws: KRPCDecodingError(reason: .invalidLength("t"))) {
            try KRPCMessage.decode(Array(longTransaction.utf8), limits: limits)
        }
        let huge = [UInt8](repeating: UInt8(ascii: "l"), count: 70_000)
        #expect(throws: KRPCDecodingError(reason: .bencode(.tooLarge))) { try KRPCMessage.decode(huge) }
    }
}

/// Inputs for the parameterized tests, typed explicitly to keep type-checking fast.
enum KRPCMalformedCases {
    static let id = "20:abcdefghij0123456789"
    static let transaction = Array("aa".utf8)

    static func query(_ method: String, _ arguments: String) -> String {
        "d1:ad2:id\(id)\(arguments)e1:q\(method.utf8.count):\(method)1:t2:aa1:y1:qe"
    }

    static func response(_ values: String) -> String {
        "d1:rd2:id\(id)\(values)e1:t2:aa1:y1:re"
    }

    static let envelope: [(String, KRPCDecodingError)] = [
        ("", KRPCDecodingError(reason: .bencode(.truncated))),
        ("i1e", KRPCDecodingError(reason: .notADictionary)),
        ("le", KRPCDecodingError(reason: .notADictionary)),
        ("d1:y1:qe", KRPCDecodingError(reason: .missingKey("t"))),
        ("d1:ti1e1:y1:qe", KRPCDecodingError(reason: .wrongType("t"))),
        ("d1:t2:aae", KRPCDecodingError(reason: .missingKey("y"))),
        ("d1:t2:aa1:y1:xe", KRPCDecodingError(reason: .unknownMessageType, transactionID: transaction)),
        ("d1:t2:aa1:yi1ee", KRPCDecodingError(reason: .wrongType("y"))),
        ("d1:t65:\(String(repeating: "x", count: 65))1:y1:re", KRPCDecodingError(reason: .invalidLength("t"))),
        ("d1:ad2:id\(id)e1:q4:ping1:t2:aa1:y1:qe garbage", KRPCDecodingError(reason: .bencode(.trailingData))),
    ]
    static let queries: [(String, KRPCDecodingError.Reason)] = [
        ("d1:q4:ping1:t2:aa1:y1:qe", .missingKey("a")),
        ("d1:ad2:id\(id)e1:t2:aa1:y1:qe", .missingKey("q")),
        ("d1:ade1:q4:ping1:t2:aa1:y1:qe", .missingKey("a.id")),
        ("d1:ai1e1:q4:ping1:t2:aa1:y1:qe", .wrongType("a")),
        ("d1:ad2:id19:abcdefghij012345678e1:q4:ping1:t2:aa1:y1:qe", .invalidLength("a.id")),
        ("d1:ad2:idi5ee1:q4:ping1:t2:aa1:y1:qe", .wrongType("a.id")),
        (query("find_node", ""), .missingKey("a.target")),
        (query("find_node", "6:target3:abc"), .invalidLength("a.target")),
        (query("find_node", "6:target20:mnopqrstuvwxyz1234564:wanti1e"), .wrongType("a.want")),
        (query("get_peers", ""), .missingKey("a.info_hash")),
        (query("announce_peer", "9:info_hash20:mnopqrstuvwxyz1234565:token1:x"), .missingKey("a.port")),
        (query("announce_peer", "9:info_hash20:mnopqrstuvwxyz1234564:porti65536e5:token1:x"), .invalidValue("a.port")),
        (query("announce_peer", "9:info_hash20:mnopqrstuvwxyz1234564:porti-1e5:token1:x"), .invalidValue("a.port")),
        (query("announce_peer", "9:info_hash20:mnopqrstuvwxyz1234564:port4:68815:token1:x"), .wrongType("a.port")),
        (query("announce_peer", "9:info_hash20:mnopqrstuvwxyz1234564:porti1e"), .missingKey("a.token")),
        (query("get", ""), .missingKey("a.target")),
        (query("get", "3:seq1:x6:target20:mnopqrstuvwxyz123456"), .wrongType("a.seq")),
        (query("put", "5:token1:x"), .missingKey("a.v")),
        (query("put", "1:k3:abc5:token1:x1:vi1e"), .invalidLength("a.k")),
        (query("put", "3:sig3:abc5:token1:x1:vi1e"), .invalidLength("a.sig")),
        (query("put", "6:target3:abc5:token1:x1:vi1e"), .invalidLength("a.target")),
        (query("put", "1:vi1e"), .missingKey("a.token")),
        (query("put", "5:token1:x1:vd1:bi1e1:ai1ee"), .nonCanonicalValue("a.v")),
        ("d1:ad2:id\(id)e1:q4:ping2:ro1:x1:t2:aa1:y1:qe", .wrongType("ro")),
        ("d1:ad2:id\(id)e2:ip3:abc1:q4:ping1:t2:aa1:y1:qe", .invalidLength("ip")),
        ("d1:ad2:id\(id)e1:q4:ping1:t2:aa1:vi1e1:y1:qe", .wrongType("v")),
    ]
    static let responses: [(String, KRPCDecodingError.Reason)] = [
        ("d1:t2:aa1:y1:re", .missingKey("r")),
        ("d1:rde1:t2:aa1:y1:re", .missingKey("r.id")),
        (response("5:nodes25:\(String(repeating: "n", count: 25))"), .invalidLength("r.nodes")),
        (response("6:nodes626:\(String(repeating: "n", count: 26))"), .invalidLength("r.nodes6")),
        (response("5:nodesi1e"), .wrongType("r.nodes")),
        (response("6:valuesl5:abcdee"), .invalidLength("r.values")),
        (response("6:valuesli1ee"), .wrongType("r.values")),
        (response("6:values6:abcdef"), .wrongType("r.values")),
        (response("5:tokeni1e"), .wrongType("r.token")),
        (response("1:k31:\(String(repeating: "k", count: 31))"), .invalidLength("r.k")),
        (response("3:sig65:\(String(repeating: "s", count: 65))"), .invalidLength("r.sig")),
        (response("3:seq1:1"), .wrongType("r.seq")),
        (response("1:vd1:bi1e1:ai1ee"), .nonCanonicalValue("r.v")),
    ]
    static let errorReplies: [(String, KRPCDecodingError.Reason)] = [
        ("d1:t2:aa1:y1:ee", .missingKey("e")),
        ("d1:e3:abc1:t2:aa1:y1:ee", .wrongType("e")),
        ("d1:ele1:t2:aa1:y1:ee", .invalidValue("e")),
        ("d1:el3:abce1:t2:aa1:y1:ee", .wrongType("e")),
        ("d1:eli201ei5ee1:t2:aa1:y1:ee", .wrongType("e")),
    ]
}
