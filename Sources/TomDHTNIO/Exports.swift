// Users of the driver speak the core's types (NodeID, DHTAddress, LookupResult...) and
// BEP 44 values (CanonicalBencode), so they come with it.
@_exported import Bencode
@_exported import TomDHT
