import Foundation
import HypergridResults
import Testing

/// A regression search from the command line on real data no one here wrote: scikit-learn's
/// diabetes table (442 patients, `progression` from 25 to 346), with two local workers, early
/// stopping on half the points and a final refit measured on a test split.
@Suite(.serialized, .enabled(if: FileManager.default.fileExists(atPath: sklearnData + "/diabetes.csv"),
                             "run scripts/sklearn-datasets first"))
struct RegressionRunEndToEndTests {
    @Test func diabetesGridRanksByRMSEAndReportsTheTargetsUnits() throws {
        let dir = try temporaryDirectory("diabetes")
        let runDir = dir.appendingPathComponent("run")
        let grid = dir.appendingPathComponent("diabetes.yaml")
        try """
            dataset: {format: csv, path: \(sklearnData)/diabetes.csv, label: progression, validation: 0.2, test: 0.2, split_seed: 0}
            model: {hidden: [[16], [64]], init: he}
            training: {optimizer: adam, learning_rate: [0.001, 0.01], decay: 1.0, batch_size: 64, iterations: 300,
                       early_stop: [0, 10]}
            search: {kind: grid, final: refit}

            """.write(to: grid, atomically: true, encoding: .utf8)
        let (status, log) = try CLIProcess.run(["run", "--grid", grid.path, "--workers", "2", "--run-dir", runDir.path,
                                                "--cache-dir", dir.appendingPathComponent("cache").path],
                                               in: dir, timeout: 300)
        #expect(status == 0, "\(log)")

        // The table is labelled for regression, under the dataset line.
        #expect(log.contains("dataset: diabetes.csv: 442 rows, 10 columns (0 categorical) → 10 features, regression on 'progression'; no missing values; train 266, validation 88, test 88 rows of 10 features"), "\(log)")
        #expect(log.contains("val_rmse") && !log.contains("val_acc"), "\(log)")

        // The CSV: every regression column, and no accuracy in any row.
        let csv = try String(contentsOf: runDir.appendingPathComponent("leaderboard.csv"), encoding: .utf8)
        let header = csv.split(whereSeparator: \.isNewline)[0].split(separator: ",").map(String.init)
        for column in ["val_rmse", "val_mae", "val_r2", "test_rmse", "test_mae", "test_r2", "early_stop"] {
            #expect(header.contains(column), "leaderboard.csv lacks \(column): \(header)")
        }
        let rows = try Leaderboard.load(runDir.path)
        let searched = rows.filter { $0.refit == nil }
        #expect(searched.count == 8 && searched.allSatisfy { $0.status == .done && $0.validationAccuracy == nil })
        // Ranked by validation RMSE, lower first, each with MAE ≤ RMSE and an R² below 1.
        let rmses = searched.sorted { $0.rank < $1.rank }.map { $0.validationRMSE ?? .nan }
        #expect(rmses == rmses.sorted() && rmses.allSatisfy(\.isFinite), "\(rmses)")
        for row in searched {
            #expect(row.validationMAE! <= row.validationRMSE! && row.validationR2! < 1)
        }

        // The rows of each split, from the run directory, against the file itself.
        let dataset = try #require(RunDataset.read(runDirectory: runDir.path))
        let split = try #require(dataset.splitRows)
        #expect(split.unit == "line" && split.train.count == 266 && split.validation.count == 88 && split.test.count == 88)
        #expect(Set(split.train + split.validation + split.test) == Set(2...443))
        let targets = try Self.targets(sklearnData + "/diabetes.csv")
        var trainSum = 0.0
        for line in split.train { trainSum += targets[line] }
        let trainMean = trainSum / Double(split.train.count)
        func rmseOfTheMean(_ lines: [Int]) -> Double {
            var squares = 0.0
            for line in lines { squares += (targets[line] - trainMean) * (targets[line] - trainMean) }
            return (squares / Double(lines.count)).squareRoot()
        }
        // Predicting the training mean: ≈ the targets' deviation (77 here), in their units.
        let baselineValidation = rmseOfTheMean(split.validation), baselineTest = rmseOfTheMean(split.test)
        #expect(baselineTest > 50 && baselineValidation > 50)
        #expect(rmses[0] < baselineValidation, "best validation RMSE \(rmses[0]) vs the mean's \(baselineValidation)")

        // The refit: figures on the test split, in the targets' units (standardised ones would
        // be near 0.7), better than the mean and no better than perfection.
        let refit = try #require(rows.first { $0.refit != nil })
        let testRMSE = try #require(refit.testRMSE), testMAE = try #require(refit.testMAE), testR2 = try #require(refit.testR2)
        #expect(testRMSE < baselineTest && testRMSE > 0.3 * baselineTest, "test RMSE \(testRMSE) vs the mean's \(baselineTest)")
        #expect(testMAE <= testRMSE && testMAE > 10)
        #expect(testR2 > 0 && testR2 < 1)
        // R² is 1 − (RMSE / the mean's RMSE)², up to the test split's own mean (not the
        // training split's): the two figures tell the same story.
        #expect(abs((1 - testR2) - (testRMSE / baselineTest) * (testRMSE / baselineTest)) < 0.05)

        // `hypergrid leaderboard` shows the dataset line too (table only).
        let (lbStatus, table) = try CLIProcess.run(["leaderboard", runDir.path], in: dir)
        #expect(lbStatus == 0 && table.contains("dataset: diabetes.csv: 442 rows") && table.contains("val_rmse"), "\(table)")
        let (_, asCSV) = try CLIProcess.run(["leaderboard", runDir.path, "--format", "csv"], in: dir)
        #expect(!asCSV.contains("dataset:"))
    }

    /// `--task` is the one task flag of every dataset: on synthetic data it asks for float
    /// targets (no file needed), and early stopping through `--set` stops the trial.
    @Test func trainTakesTaskAndEarlyStopOnBuiltInData() throws {
        let dir = try temporaryDirectory("train-task")
        let (status, output) = try CLIProcess.run(
            ["train", "--dataset", "synthetic", "--task", "regression", "--train-rows", "400", "--validation-rows", "100",
             "--test-rows", "0", "--epochs", "200", "--batch-size", "50", "--optimizer", "adam", "--lr", "0.03",
             "--he-init", "--set", "training.early_stop=3", "--json", "--no-cache"], in: dir)
        #expect(status == 0, "\(output)")
        let json = try #require(output.split(separator: "\n").first { $0.hasPrefix("{") })
        let report = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        let config = try #require(report["config"] as? [String: Any])
        #expect(config["early_stop"] as? Int == 3)
        let iterations = try #require(report["iterations"] as? Int)
        #expect(report["status"] as? String == "done" && iterations < 200 * 8 && iterations % 8 == 0, "\(iterations)")
        let validation = try #require(report["val_regression"] as? [String: Any])
        #expect((validation["rmse"] as? Double).map { $0 > 1 } == true, "RMSE in the targets' units (around 100 ± 30)")
        // For people: where it stopped and whose weights the figures are.
        let epochs = iterations / 8
        let (_, text) = try CLIProcess.run(
            ["train", "--dataset", "synthetic", "--task", "regression", "--train-rows", "400", "--validation-rows", "100",
             "--test-rows", "0", "--epochs", "200", "--batch-size", "50", "--optimizer", "adam", "--lr", "0.03",
             "--he-init", "--set", "training.early_stop=3", "--no-cache"], in: dir)
        #expect(text.contains("early stop: no improvement for 3 epochs, stopped after epoch \(epochs) of 200; the figures are epoch \(epochs - 3)'s weights"), "\(text)")
    }

    /// The last column of a numeric CSV file, indexed by line number (line 1 is the header,
    /// NaN at 0 and 1).
    static func targets(_ path: String) throws -> [Double] {
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
        var out: [Double] = [.nan]
        for (i, line) in lines.enumerated() where !line.isEmpty {
            out.append(i == 0 ? .nan : Double(line.split(separator: ",").last!)!)
        }
        return out
    }
}
