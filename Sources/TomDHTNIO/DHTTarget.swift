import TomCrypto
import TomDHT

/// How the CLI and the gateways name a place in the DHT.
public enum DHTTarget {
    /// A 40-hex-digit string is taken as the hash itself; anything else is a topic name,
    /// hashed to 20 bytes with SHA-1 of its UTF-8 bytes (as ToM keys topics).
    public static func infoHash(fromTopicOrHash text: String) -> NodeID {
        if text.utf8.count == 40, let id = NodeID(hex: text) { return id }
        return topicHash(text)
    }

    /// SHA-1 of the UTF-8 bytes of `topic`.
    public static func topicHash(_ topic: String) -> NodeID {
        // SHA-1 is always 20 bytes.
        NodeID(bytes: Hashing.sha1(Array(topic.utf8)))!
    }
}
