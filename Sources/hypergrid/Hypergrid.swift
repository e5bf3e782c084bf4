import ArgumentParser

/// The `hypergrid` command: subcommands only parse and wire the libraries.
@main
struct Hypergrid: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hypergrid",
        abstract: "Hyperparameter search for multi-layer perceptrons across processes and machines.",
        version: "0.1.0",
        subcommands: [Train.self, RunCommand.self, CoordinatorCommand.self, WorkerCommand.self,
                      LeaderboardCommand.self, KeygenCommand.self, ReportCommand.self,
                      PredictCommand.self, ExportCommand.self])
}
