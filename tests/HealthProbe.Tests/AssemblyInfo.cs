// Each integration fixture starts a whole cluster: run one at a time on a 2-core machine.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
