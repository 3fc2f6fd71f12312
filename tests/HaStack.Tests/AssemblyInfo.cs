// Each integration fixture starts a whole cluster and the machine has 2 cores: at most two test collections run at
// once (xunit.runner.json: conservative, 2 threads). The collections that measure timing or drive a browser
// (ClusterTests, BackupTests) opt out and run alone; IdleClusterTests' five-minute watch of a healthy idle stack runs
// beside the collections that only wait on generous bounds (TLS, persistence, alert rules, models).
[assembly: CollectionBehavior(CollectionBehavior.CollectionPerClass, MaxParallelThreads = 2)]
[assembly: TestCollectionOrderer("HaStack.Tests.IdleFirstOrderer", "HaStack.Tests")]
