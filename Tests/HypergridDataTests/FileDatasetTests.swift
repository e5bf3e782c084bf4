import Foundation
import Testing
@testable import HypergridData
@testable import HypergridPreprocessing

func csvRequest(_ path: String, label: String, _ configure: (inout FileSource) -> Void = { _ in }) -> DatasetRequest {
    var r = DatasetRequest(kind: .csv, directory: path)
    var f = FileSource(label: label)
    configure(&f)
    r.file = f
    return r
}

func write(_ text: String, _ name: String, in dir: TempDir) throws -> String {
    try Data(text.utf8).write(to: dir.file(name))
    return dir.file(name).path
}

/// Tables: typing, one-hot encoding with training-only vocabularies, imputation, splits.
@Suite struct CSVTableTests {
    @Test func categoricalColumnsImputationAndTrainingOnlyVocabulary() throws {
        let dir = TempDir()
        // 40 rows; colour 'violet' appears once, so with a 50% validation split it may land in
        // validation only; class balance 20/20.
        var text = "size,colour,weight,y\n"
        for i in 0..<40 {
            let colour = i == 7 ? "violet" : (i % 3 == 0 ? "red" : (i % 3 == 1 ? "green" : "blue"))
            let size = i == 5 ? "NA" : "\(i)"
            let weight = i == 9 ? "" : "\(Double(i) / 2)"
            text += "\(size),\(i == 11 ? "?" : colour),\(weight),\(i % 2 == 0 ? "cat" : "dog")\n"
        }
        let path = try write(text, "t.csv", in: dir)
        var lines: [String] = []
        let s = try csvRequest(path, label: "y") { $0.validationFraction = 0.5; $0.splitSeed = 3 }
            .loadRawSplits(log: { lines.append($0) })
        let schema = try #require(s.schema)
        guard case .classes(let names) = schema.target else { Issue.record("not classes"); return }
        #expect(names == ["cat", "dog"])
        #expect(s.train.rows == 20 && s.validation.rows == 20 && s.test.rows == 0)
        // Stratified: each split holds 10 of each class.
        #expect(s.train.labels.filter { $0 == 0 }.count == 10 && s.validation.labels.filter { $0 == 0 }.count == 10)
        let columns = try #require(schema.columns)
        #expect(columns.map(\.name) == ["size", "colour", "weight"])
        guard case .categorical(let vocabulary, let impute) = columns[1].encoding else { Issue.record("colour not categorical"); return }
        // Sorted, from the training rows only.
        #expect(vocabulary == vocabulary.sorted() && Set(vocabulary).isSubset(of: ["blue", "green", "red", "violet"]))
        #expect(vocabulary.contains(impute))
        #expect(schema.featureCount == 2 + vocabulary.count && s.featureCount == schema.featureCount)
        // Every encoded row has at most one hot colour; rows with the colour missing get the imputed one.
        for m in [s.train, s.validation] {
            for r in 0..<m.rows {
                let hot = (0..<vocabulary.count).map { m.row(r)[1 + $0] }
                #expect(hot.allSatisfy { $0 == 0 || $0 == 1 } && hot.reduce(0, +) <= 1)
            }
        }
        let summary = try #require(s.summary)
        #expect(summary.contains("imputed 3 missing cells"), "\(summary)")
        #expect(summary.contains("40 rows, 3 columns (1 categorical)"), "\(summary)")
        if !vocabulary.contains("violet") {
            #expect(summary.contains("1 cell with a category unseen in training"), "\(summary)")
        }
        #expect(lines.contains { $0.hasPrefix("Dataset t.csv: 40 rows") }, "\(lines)")
        // The same seed gives the same split; another seed another one.
        let again = try csvRequest(path, label: "y") { $0.validationFraction = 0.5; $0.splitSeed = 3 }.loadRawSplits()
        #expect(values(again.train) == values(s.train))
        let other = try csvRequest(path, label: "y") { $0.validationFraction = 0.5; $0.splitSeed = 4 }.loadRawSplits()
        #expect(values(other.train) != values(s.train))
    }

    @Test func dropAndErrorPolicies() throws {
        let dir = TempDir()
        let path = try write("a,b,y\n1,2,0\n,3,1\n4,NaN,0\n5,6,1\n7,8,0\n9,10,1\n11,12,0\n13,,1\n", "m.csv", in: dir)
        let dropped = try csvRequest(path, label: "y") { $0.missing = .drop; $0.validationFraction = 0.2 }.loadRawSplits()
        #expect(dropped.train.rows + dropped.validation.rows == 5)
        #expect(dropped.summary?.contains("dropped 3 rows with a missing cell") == true, "\(dropped.summary ?? "")")
        let e = datasetError { _ = try csvRequest(path, label: "y") { $0.missing = .error }.loadRawSplits() }
        #expect(e?.description == "\(path):3:1: column 'a' is missing a value (missing: error).")
    }

    @Test func mixedColumnBecomesCategoricalUnlessMissingIsError() throws {
        let dir = TempDir()
        var text = "code,y\n"
        for i in 0..<20 { text += "\(i == 15 ? "X9" : "\(i % 4)"),\(i % 2)\n" }
        let path = try write(text, "mixed.csv", in: dir)
        var lines: [String] = []
        let s = try csvRequest(path, label: "y").loadRawSplits(log: { lines.append($0) })
        guard case .categorical = s.schema!.columns![0].encoding else { Issue.record("not categorical"); return }
        #expect(lines.contains("Column 'code' of \(path) mixes numbers and text ('X9' on line 17); its values are encoded as categories."), "\(lines)")
        let e = datasetError { _ = try csvRequest(path, label: "y") { $0.missing = .error }.loadRawSplits() }
        #expect(e?.description == "\(path):17:1: column 'code' holds 'X9', which is not a number (missing: error; numbers were seen above this line).")
    }

    @Test func featuresExcludeAndRegressionTargets() throws {
        let dir = TempDir()
        var text = "id;x1;x2;note;target\n"
        for i in 0..<50 { text += "\(i);\(i % 7);\(Double(i) * 0.5);n\(i);\(Double(i) * 2.0 + 0.25)\n" }
        let path = try write(text, "r.csv", in: dir)
        let s = try csvRequest(path, label: "target") { $0.exclude = ["id", "note"]; $0.validationFraction = 0.2 }.loadRawSplits()
        #expect(s.schema?.columns?.map(\.name) == ["x1", "x2"])
        guard case .regression(let names, let mean, let deviation) = s.schema!.target else { Issue.record("not regression"); return }
        #expect(names == ["target"])
        #expect(s.classCount == 1 && s.train.targetCount == 1)
        // Training targets are standardised: mean 0, deviation 1; the schema holds the raw statistics.
        let t: [Double] = try #require(s.train.targets).map(Double.init)
        let tMean: Double = t.reduce(0, +) / Double(t.count)
        let tSquares: Double = t.map { $0 * $0 }.reduce(0, +) / Double(t.count)
        #expect(abs(tMean) < 1e-5)
        #expect(abs(tSquares.squareRoot() - 1) < 1e-4)
        let raw = (0..<s.train.rows).map { Double(s.train.targets![$0]) * deviation[0] + mean[0] }
        for (r, value) in raw.enumerated() {
            // target = 4·x2 + 0.25 on every row.
            #expect(abs(value - (4 * Double(s.train.row(r)[1]) + 0.25)) < 1e-3)
        }
        let picked = try csvRequest(path, label: "target") { $0.features = ["x2"] }.loadRawSplits()
        #expect(picked.featureCount == 1)
        let forced = try csvRequest(path, label: "x1") { $0.features = ["x2"]; $0.task = .regression }.loadRawSplits()
        #expect(forced.train.targets != nil)
    }

    @Test func testFileUsesTheTrainingSchema() throws {
        let dir = TempDir()
        let train = try write("a,c,y\n1,red,0\n2,blue,1\n3,red,0\n4,blue,1\n5,red,0\n6,blue,1\n", "train.csv", in: dir)
        let test = try write("c,a,y\ngreen,7,1\nred,,0\n", "test.csv", in: dir)
        let s = try csvRequest(train, label: "y") { $0.testPath = test; $0.validationFraction = 0 }.loadRawSplits()
        #expect(s.test.rows == 2 && s.test.labels == [1, 0])
        // Column order follows the training file; 'green' is unseen (all zeros); the missing 'a' is the training mean 3.5.
        #expect(values(s.test) == [7, 0, 0, 3.5, 0, 1])
        #expect(s.summary?.contains("1 cell with a category unseen in training") == true)
    }
}

/// The real datasets that ship with scikit-learn, as files a user would have.
@Suite(.enabled(if: SklearnData.available, "run scripts/sklearn-datasets first (scripts/test does)"))
struct RealFileDatasetTests {
    @Test func digitsCSVNPYAndNPZAgree() throws {
        let csv = try csvRequest(SklearnData.path("digits.csv"), label: "digit").loadRawSplits()
        #expect(csv.train.rows + csv.validation.rows == 1797 && csv.featureCount == 64 && csv.classCount == 10)
        #expect(csv.validation.rows == 359)  // round(0.2 × 1797)
        guard case .classes(let names) = csv.schema!.target else { Issue.record("not classes"); return }
        #expect(names == (0..<10).map(String.init))
        var npy = DatasetRequest(kind: .npy)
        npy.file = FileSource(x: SklearnData.path("digits_x.npy"), y: SklearnData.path("digits_y.npy"))
        let fromNPY = try npy.loadRawSplits()
        for name in ["digits.npz", "digits_stored.npz"] {
            let npz = DatasetRequest(kind: .npz, directory: SklearnData.path(name))
            let fromNPZ = try { var r = npz; r.file = FileSource(); return try r.loadRawSplits() }()
            #expect(values(fromNPZ.train) == values(fromNPY.train), "\(name)")
        }
        // Same rows, same seed, same split: the CSV and the arrays give the same matrices.
        #expect(values(fromNPY.train) == values(csv.train) && fromNPY.train.labels == csv.train.labels)
        #expect(values(fromNPY.validation) == values(csv.validation))
    }

    @Test func stringLabelsAreSortedClassNames() throws {
        let iris = try csvRequest(SklearnData.path("iris.csv"), label: "species").loadRawSplits()
        #expect(iris.schema?.target == .classes(names: ["setosa", "versicolor", "virginica"]))
        #expect(iris.validation.rows == 30 && Set(iris.validation.labels).count == 3)
        // Stratified: 10 of each species in validation.
        #expect((0..<3).allSatisfy { c in iris.validation.labels.filter { $0 == c }.count == 10 })
        let wine = try csvRequest(SklearnData.path("wine.csv"), label: "cultivar").loadRawSplits()
        #expect(wine.schema?.target == .classes(names: ["class_0", "class_1", "class_2"]) && wine.featureCount == 13)
    }

    @Test func diabetesIsRegression() throws {
        let s = try csvRequest(SklearnData.path("diabetes.csv"), label: "progression").loadRawSplits()
        guard case .regression(_, let mean, let deviation) = s.schema!.target else { Issue.record("not regression"); return }
        #expect(s.train.rows == 354 && s.validation.rows == 88 && s.featureCount == 10)
        #expect(mean[0] > 140 && mean[0] < 165 && deviation[0] > 70 && deviation[0] < 85, "\(mean) \(deviation)")
        var npy = DatasetRequest(kind: .npy)
        npy.file = FileSource(x: SklearnData.path("diabetes_x.npy"), y: SklearnData.path("diabetes_y.npy"))
        let arrays = try npy.loadRawSplits()
        #expect(arrays.train.targets == s.train.targets)
    }

    @Test func messyIrisHasCategoriesAndImputedCells() throws {
        let s = try csvRequest(SklearnData.path("iris_messy.csv"), label: "species").loadRawSplits()
        let columns = try #require(s.schema?.columns)
        #expect(columns.map(\.featureWidth) == [1, 1, 1, 3, 2])
        #expect(s.summary?.contains("imputed 39 missing cells") == true, "\(s.summary ?? "")")
        let breast = try csvRequest(SklearnData.path("breast_cancer.csv"), label: "malignant_or_benign").loadRawSplits()
        #expect(breast.classCount == 2 && breast.featureCount == 30)
    }

    @Test func imageArraysKeepTheirLayout() throws {
        let dir = TempDir()
        // digits_images.npy is 1797 × 8 × 8 uint8; labels from digits_y.npy.
        var r = DatasetRequest(kind: .npy)
        r.file = FileSource(x: SklearnData.path("digits_images.npy"), y: SklearnData.path("digits_y.npy"))
        let s = try r.loadRawSplits()
        #expect(s.imageLayout == ImageLayout(height: 8, width: 8, channels: 1) && s.featureCount == 64)
        _ = dir
    }

    @Test func fingerprintFollowsContentsAndOptions() throws {
        let dir = TempDir()
        let copy = dir.file("iris.csv")
        try FileManager.default.copyItem(atPath: SklearnData.path("iris.csv"), toPath: copy.path)
        let base = csvRequest(copy.path, label: "species")
        let a = try datasetFingerprint(base, cacheDirectory: dir.file("cache"))
        #expect(try datasetFingerprint(base, cacheDirectory: dir.file("cache")) == a)
        var seeded = base; seeded.file?.splitSeed = 1
        var dropped = base; dropped.file?.missing = .drop
        var fraction = base; fraction.file?.validationFraction = 0.3
        for other in [seeded, dropped, fraction] {
            #expect(try datasetFingerprint(other, cacheDirectory: dir.file("cache")) != a)
        }
        // A changed file is a different dataset, and never reuses the stale cache.
        let first = try prepareDataset(base, cacheDirectory: dir.file("cache"))
        #expect(first.cacheStatus == .miss)
        let text = try String(contentsOf: copy, encoding: .utf8)
        try text.replacingOccurrences(of: "5.1,3.5", with: "5.2,3.5").write(to: copy, atomically: true, encoding: .utf8)
        let second = try prepareDataset(base, cacheDirectory: dir.file("cache"))
        #expect(second.cacheStatus == .miss && second.fingerprint != first.fingerprint)
    }

    @Test func cacheHitCarriesSchemaStatisticsPCAAndTargets() throws {
        let dir = TempDir()
        var request = csvRequest(SklearnData.path("diabetes.csv"), label: "progression")
        request.pcaVariance = 0.9
        let fresh = try prepareDataset(request, cacheDirectory: dir.url)
        let hit = try prepareDataset(request, cacheDirectory: dir.url)
        #expect(fresh.cacheStatus == .miss && hit.cacheStatus == .hit)
        #expect(hit.schema == fresh.schema && hit.schema != nil)
        #expect(hit.standardizer == fresh.standardizer && hit.standardizer?.mean.count == 10)
        #expect(hit.pca == fresh.pca && hit.pca?.components == hit.pcaComponents)
        #expect(hit.splits.train.targets == fresh.splits.train.targets && hit.splits.train.targets != nil)
        #expect(hit.summary == fresh.summary && hit.summary != nil)
        // The built-in datasets get a schema too.
        let synthetic = try prepareDataset(DatasetRequest(kind: .synthetic, trainRows: 50, validationRows: 10, testRows: 10),
                                           cacheDirectory: dir.url)
        let again = try prepareDataset(DatasetRequest(kind: .synthetic, trainRows: 50, validationRows: 10, testRows: 10),
                                       cacheDirectory: dir.url)
        #expect(again.cacheStatus == .hit && again.schema == synthetic.schema && again.schema?.arrayFeatureCount == 64)
    }
}
