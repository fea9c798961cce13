/// Why a roster item or link frame was refused. Every decoder in this module reports one of
/// these instead of trapping, whatever the input.
public enum GatewayRecordError: Error, Hashable, Sendable, CustomStringConvertible {
    case malformed(String)
    case badSignature
    case wrongTopic
    case tooLarge(Int)

    public var description: String {
        switch self {
        case .malformed(let reason): "malformed: \(reason)"
        case .badSignature: "signature does not verify"
        case .wrongTopic: "salt is not a roster page of this topic"
        case .tooLarge(let size): "\(size) bytes is over the limit"
        }
    }
}
