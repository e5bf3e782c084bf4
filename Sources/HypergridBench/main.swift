// hypergrid-bench: how fast HypergridKernel trains, in two tables.
//
//   hypergrid-bench [--json] [--samples N] [--sample-ms T] [--no-check] [--wall]
//       [--filter NAME] [--threads N] [--peak GFLOPS]
//     GFLOP/s of our gemm against OpenBLAS's single-threaded cblas_sgemm on the MLP
//     training shapes (GEMMTable.swift). --threads N adds our multi-threaded gemm
//     (wall clock: the workers' CPU time is not on the calling thread's clock).
//     Our kernel and OpenBLAS are sampled alternately, so machine noise (other
//     builds on the shared cores) hits both; each figure is the median sample.
//
//   hypergrid-bench train [--json] [--repeats N] [--filter NAME] [--peak GFLOPS] [--quick]
//     Whole trainings through the real Trainer on synthetic data of the peers'
//     shapes (TrainingTable.swift): samples/s per wall and per CPU second, GEMM
//     share, %peak, evaluation share.
//
//   hypergrid-bench augment [--samples N] [--sample-ms T]
//     samples/s of the minibatch augmentations (flip, random crop) beside a plain copy of
//     the batch (AugmentationTable.swift).
#if canImport(Glibc)
import Glibc
#endif

let arguments = CommandLine.arguments.dropFirst()
if arguments.first == "train" {
    runTrainingTable(arguments.dropFirst())
} else if arguments.first == "augment" {
    runAugmentationTable(arguments.dropFirst())
} else {
    runGEMMTable(arguments)
}
