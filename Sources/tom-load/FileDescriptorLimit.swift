import Glibc

/// Thousands of sockets need more descriptors than the usual soft limit of 1024.
enum FileDescriptorLimit {
    /// Raises RLIMIT_NOFILE's soft limit to the hard limit; returns the resulting soft limit.
    static func raiseSoftLimitToHard() -> Int? {
        let resource = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
        var limit = rlimit()
        guard getrlimit(resource, &limit) == 0 else { return nil }
        if limit.rlim_cur < limit.rlim_max {
            var raised = limit
            raised.rlim_cur = limit.rlim_max
            if setrlimit(resource, &raised) == 0 {
                limit = raised
            }
        }
        return limit.rlim_cur > rlim_t(Int.max) ? Int.max : Int(limit.rlim_cur)
    }
}
