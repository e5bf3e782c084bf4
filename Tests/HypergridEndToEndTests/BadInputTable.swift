import Foundation
import HypergridProtocol
import Testing

/// One bad input a user might give, and exactly what they get back. The rows are the
/// source of `docs/bad-inputs.md` (`BadInputEndToEndTests` checks that the two agree).
///
/// `$DIR` stands for the test's scratch directory (fixtures in ``BadInputFixtures``) and
/// `$PORT` for a port the row's setup provides.
struct BadInput: Sendable, CustomTestStringConvertible {
    /// What is wrong, for the table.
    var what: String
    /// The command line: `NAME=value` environment settings, then `hypergrid` and its arguments.
    var command: String
    /// The exact line the user sees for it.
    var message: String
    var status: Int32
    var setup: Setup = .files

    enum Setup: Sendable {
        /// Only the fixture files.
        case files
        /// `hypergrid keygen $DIR/keys/coordinator` and `$DIR/keys/worker` first.
        case keys
        /// A prepared dataset in `$DIR/cache` whose cache file is then damaged.
        case corruptCache
        /// Something else listens on `$PORT`.
        case portInUse
        /// Nothing listens on `$PORT`.
        case closedPort
        /// A fake coordinator on `$PORT` answers anything with a `refuse` of this protocol
        /// version and reason (`$NUMERICS` replaced by the worker's numerics).
        case fakeCoordinator(version: UInt16, reason: String)
        /// Models (``ModelFixtures``): `$DIR/model.hgmodel` (synthetic, 64 values per row) and
        /// damaged copies of it, `$DIR/table.hgmodel` (a CSV with columns size, colour, kind),
        /// the run folders `$DIR/run` (one kept model, `$KEPT` its id's first 12 digits) and
        /// `$DIR/run-empty` (none), `$DIR/rows.npy` and `$DIR/narrow.npy` (10 values per row).
        case models
    }

    var testDescription: String { what }
}

enum BadInputTable {
    /// A `refuse` frame of protocol `version`.
    static func refusal(version: UInt16, _ reason: String) -> [UInt8] {
        let text = Array(reason.utf8)
        let length = UInt32(text.count)
        return [0x48, 0x47, UInt8(version >> 8), UInt8(version & 0xFF), 0x83,
                UInt8(length >> 24), UInt8(length >> 16 & 0xFF), UInt8(length >> 8 & 0xFF), UInt8(length & 0xFF)] + text
    }

    static let rows: [BadInput] = [
        // Grid files.
        BadInput(what: "malformed YAML", command: "hypergrid run --grid $DIR/malformed.yaml",
                 message: "Error: $DIR/malformed.yaml:2: is not valid YAML (did not find expected ',' or '}')", status: 1),
        BadInput(what: "a value of the wrong type", command: "hypergrid run --grid $DIR/wrong-type.yaml",
                 message: "Error: $DIR/wrong-type.yaml:3: training.learning_rate: must be a number, got 'fast'", status: 1),
        BadInput(what: "an unknown key", command: "hypergrid run --grid $DIR/unknown-key.yaml",
                 message: "Error: $DIR/unknown-key.yaml:2: model.activation: unknown key; expected one of batch_norm, dropout, hidden, init", status: 1),
        BadInput(what: "an empty grid (an empty list of values)", command: "hypergrid run --grid $DIR/empty-list.yaml",
                 message: "Error: $DIR/empty-list.yaml:3: training.learning_rate: is an empty list; give at least one value", status: 1),
        BadInput(what: "an empty grid file", command: "hypergrid coordinator --grid $DIR/empty.yaml",
                 message: "Error: $DIR/empty.yaml: is empty; it needs at least a dataset and a model or training section", status: 1),
        BadInput(what: "a grid too large to plan (a typo made it 10⁷ points)", command: "hypergrid run --grid $DIR/huge.yaml",
                 message: "Error: $DIR/huge.yaml: the grid has 10,000,000 points (10 hidden × 10 momentum × 10 learning_rate × 10 reg × 10 batch_size × 10 dropout × 10 warmup_epochs); the limit is 1,000,000: use search.kind: random with samples, or --max-trials", status: 1),
        BadInput(what: "a random search with more samples than the trial limit", command: "hypergrid coordinator --grid $DIR/huge-random.yaml --max-trials 1000",
                 message: "Error: $DIR/huge-random.yaml: search.samples: 5,000 samples make 5,000 trials; the limit is 1,000: sample fewer, or raise --max-trials", status: 1),
        BadInput(what: "a verified-results fraction outside 0 to 1", command: "hypergrid run --grid $DIR/verify-range.yaml",
                 message: "Error: $DIR/verify-range.yaml:4: search.verify: must be a fraction of the trials from 0 to 1, got 10.0", status: 1),
        BadInput(what: "a grid file that does not exist", command: "hypergrid run --grid $DIR/nope.yaml",
                 message: "Error: $DIR/nope.yaml: no such file", status: 1),
        // Data.
        BadInput(what: "a missing dataset", command: "hypergrid run --grid $DIR/missing-data.yaml --run-dir $DIR/run",
                 message: "Error: The CIFAR-10 directory $DIR/no-such-dir does not exist or is not a directory.", status: 1),
        BadInput(what: "a truncated dataset", command: "hypergrid train --dataset cifar10 --data $DIR/truncated --no-cache",
                 message: "Error: CIFAR-10 file $DIR/truncated/data_batch_1.bin is truncated at record 0: its 1,000 bytes are not a whole number of 3,073-byte records.",
                 status: 1),
        BadInput(what: "a corrupt cache file (recomputed, not used)",
                 command: "hypergrid train --dataset synthetic --train-rows 300 --validation-rows 50 --test-rows 50 --iterations 5 --cache-dir $DIR/cache",
                 message: "corrupt cache rebuilt: Cache file $DIR/cache/$CACHEFILE is corrupt: its CRC-32 does not match its contents; preparing synthetic again.",
                 status: 0, setup: .corruptCache),
        // The task: classes or regression (docs/regression.md).
        BadInput(what: "regression on an image dataset (its labels are classes)", command: "hypergrid run --grid $DIR/image-regression.yaml",
                 message: "Error: $DIR/image-regression.yaml:2: dataset.task: regression needs float targets, but fashion-mnist has class labels", status: 1),
        BadInput(what: "an unknown task in a grid file", command: "hypergrid run --grid $DIR/unknown-task.yaml",
                 message: "Error: $DIR/unknown-task.yaml:2: dataset.task: must be classification or regression, got 'ranking'", status: 1),
        BadInput(what: "an unknown --task", command: "hypergrid train --dataset synthetic --task ranking",
                 message: "Error: --task must be classification or regression; got 'ranking'.", status: 64),
        BadInput(what: "regression on an image dataset from the command line", command: "hypergrid train --dataset fashion-mnist --task regression",
                 message: "Error: --task regression needs float targets, but fashion-mnist has class labels.", status: 64),
        // Early stopping (docs/halving-repeats-refit.md).
        BadInput(what: "early stopping with successive halving", command: "hypergrid run --grid $DIR/early-stop-halving.yaml",
                 message: "Error: $DIR/early-stop-halving.yaml:4: search.kind: halving does not combine with training.early_stop (halving stops weak points itself); use kind: grid or random", status: 1),
        BadInput(what: "an early-stopping tolerance without a patience", command: "hypergrid train --set training.early_stop_tol=0.01",
                 message: "Error: --set training.early_stop_tol applies only with training.early_stop (a patience in epochs).", status: 64),
        BadInput(what: "a negative early-stopping patience", command: "hypergrid train --set training.early_stop=-3",
                 message: "Error: --set training.early_stop must be a number of epochs, or 0 for off, got -3.", status: 64),
        // Your own data files (nothing is written: --no-cache).
        BadInput(what: "a ragged CSV row", command: "hypergrid train --format csv --data $DIR/ragged.csv --label y --no-cache",
                 message: "Error: $DIR/ragged.csv:3:3: the row has 2 fields but the header has 3.", status: 1),
        BadInput(what: "text in a numeric CSV column under missing: error",
                 command: "hypergrid train --format csv --data $DIR/text-in-number.csv --label y --missing error --no-cache",
                 message: "Error: $DIR/text-in-number.csv:3:2: column 'b' holds 'x', which is not a number (missing: error; numbers were seen above this line).",
                 status: 1),
        BadInput(what: "a label column that does not exist", command: "hypergrid train --format csv --data $DIR/good.csv --label target --no-cache",
                 message: "Error: $DIR/good.csv:1: the label column 'target' is not in the header (columns: a, b, y).", status: 1),
        BadInput(what: "an empty CSV file", command: "hypergrid train --format csv --data $DIR/empty.csv --label y --no-cache",
                 message: "Error: CSV file $DIR/empty.csv is empty: it needs a header row and data rows.", status: 1),
        BadInput(what: "a CSV file with only a header", command: "hypergrid train --format csv --data $DIR/header-only.csv --label y --no-cache",
                 message: "Error: CSV file $DIR/header-only.csv has a header but no data rows.", status: 1),
        BadInput(what: "a single class", command: "hypergrid train --format csv --data $DIR/one-class.csv --label y --no-cache",
                 message: "Error: $DIR/one-class.csv: the label 'y' has a single class ('1') in every row; classification needs at least two.", status: 1),
        BadInput(what: "a class in validation but absent from training",
                 command: "hypergrid train --format csv --data $DIR/rare-class.csv --label y --validation 0.6 --no-cache",
                 message: "Error: $DIR/rare-class.csv:2: class 'z' is in the validation split but not in training (it has 1 row); add rows of it, or drop it from the file.",
                 status: 1),
        BadInput(what: "NaN in an .npy", command: "hypergrid train --format npy --x $DIR/nan-x.npy --y $DIR/y.npy --no-cache",
                 message: "Error: $DIR/nan-x.npy: element [1, 0] is NaN; features must be finite numbers (impute or drop such rows before saving).",
                 status: 1),
        BadInput(what: "X and y of different lengths", command: "hypergrid train --format npy --x $DIR/x.npy --y $DIR/y3.npy --no-cache",
                 message: "Error: $DIR/y3.npy has 3 rows but x.npy has 2; X and y need one row each per example.", status: 1),
        BadInput(what: "an unsupported dtype", command: "hypergrid train --format npy --x $DIR/complex-x.npy --y $DIR/y.npy --no-cache",
                 message: "Error: $DIR/complex-x.npy has dtype <c8, which hypergrid does not read; use float32, float64, uint8, int32, int64 or bool.",
                 status: 1),
        BadInput(what: "an array in Fortran order", command: "hypergrid train --format npy --x $DIR/fortran-x.npy --y $DIR/y.npy --no-cache",
                 message: "Error: $DIR/fortran-x.npy is in Fortran (column-major) order; save it in C order, e.g. numpy.save(path, numpy.ascontiguousarray(a)).",
                 status: 1),
        BadInput(what: "a pickle instead of an array", command: "hypergrid train --format npy --x $DIR/pickle-x.npy --y $DIR/y.npy --no-cache",
                 message: "Error: $DIR/pickle-x.npy is a Python pickle, not a .npy array; hypergrid never unpickles (save the array with numpy.save and allow_pickle=False).",
                 status: 1),
        BadInput(what: "a truncated .npy", command: "hypergrid train --format npy --x $DIR/truncated-x.npy --y $DIR/y.npy --no-cache",
                 message: "Error: $DIR/truncated-x.npy is truncated: its header promises 4 × 2 float32 values (32 bytes) but only 16 bytes follow.",
                 status: 1),
        BadInput(what: "a corrupt .npz", command: "hypergrid train --format npz --data $DIR/corrupt.npz --no-cache",
                 message: "Error: $DIR/corrupt.npz is not a readable .npz (zip) archive: it has no end-of-central-directory record (not a zip file, or truncated).",
                 status: 1),
        // Flags.
        BadInput(what: "a non-numeric flag", command: "hypergrid run --grid $DIR/good.yaml --heartbeat abc",
                 message: "Error: The value 'abc' is invalid for '--heartbeat <heartbeat>'", status: 64),
        BadInput(what: "a flag out of range", command: "hypergrid run --grid $DIR/good.yaml --workers 0",
                 message: "Error: --workers must be at least 1, got 0.", status: 64),
        BadInput(what: "no threads for run's local workers", command: "hypergrid run --grid $DIR/good.yaml --threads 0",
                 message: "Error: --threads must be at least 1, got 0.", status: 64),
        BadInput(what: "a prefetch above 8 for run's local workers", command: "hypergrid run --grid $DIR/good.yaml --prefetch 9",
                 message: "Error: --prefetch must be 0 to 8, got 9.", status: 64),
        BadInput(what: "a negative prefetch for a worker", command: "hypergrid worker --connect tcp://127.0.0.1:1 --prefetch=-1",
                 message: "Error: --prefetch must be 0 to 8, got -1.", status: 64),
        BadInput(what: "a negative learning rate", command: "hypergrid train --lr=-1",
                 message: "Error: --lr must be positive, got -1.0.", status: 64),
        BadInput(what: "an unknown dataset", command: "hypergrid train --dataset imagenet",
                 message: "Error: --dataset must be one of cifar10, fashion-mnist, mnist, synthetic (or --format csv|npy|npz|idx for your own file); got 'imagenet'.", status: 64),
        BadInput(what: "an unknown output format", command: "hypergrid leaderboard $DIR --format xml",
                 message: "Error: --format must be one of table, csv, json; got 'xml'.", status: 64),
        BadInput(what: "an unknown GEMM kernel in HYPERGRID_KERNEL",
                 command: "HYPERGRID_KERNEL=avx1024 hypergrid train --dataset synthetic --iterations 5 --no-cache",
                 message: "Error: HYPERGRID_KERNEL='avx1024' is not a kernel; use avx2 or avx512, or unset it for the widest this CPU runs",
                 status: 64),
        // Where the coordinator listens and writes.
        BadInput(what: "a public address without encryption", command: "hypergrid coordinator --grid $DIR/good.yaml --bind tcp://0.0.0.0:5555",
                 message: "Error: --bind tcp://0.0.0.0:5555 is not a loopback address: give --key and --authorized-keys to encrypt it, or pass --insecure to serve it without encryption.",
                 status: 64),
        BadInput(what: "a port in use",
                 command: "hypergrid coordinator --grid $DIR/good.yaml --run-dir $DIR/run --cache-dir $DIR/cache --bind tcp://127.0.0.1:$PORT",
                 message: "Error: cannot bind tcp://127.0.0.1:$PORT: Address already in use", status: 1, setup: .portInUse),
        BadInput(what: "an unwritable run directory", command: "hypergrid run --grid $DIR/good.yaml --run-dir $DIR/a-file/run",
                 message: "Error: cannot create the run directory $DIR/a-file/run: Not a directory.", status: 1),
        BadInput(what: "a run directory to read that does not exist", command: "hypergrid leaderboard $DIR/no-run",
                 message: "Error: cannot read $DIR/no-run: No such file or directory (errno 2)", status: 1),
        // Keys.
        BadInput(what: "a missing key file",
                 command: "hypergrid coordinator --grid $DIR/good.yaml --key $DIR/keys/missing.key --authorized-keys $DIR/keys",
                 message: "Error: Cannot read key file $DIR/keys/missing.key: no such file.", status: 1, setup: .keys),
        BadInput(what: "a key of the wrong length",
                 command: "hypergrid coordinator --grid $DIR/good.yaml --key $DIR/short.key --authorized-keys $DIR/keys",
                 message: "Error: Key file $DIR/short.key holds 3 characters, not the 40 Z85 characters of a CURVE key.", status: 1, setup: .keys),
        BadInput(what: "a garbled key (not Z85)",
                 command: "hypergrid worker --connect tcp://127.0.0.1:5555 --key $DIR/garbled.key --coordinator-key $DIR/keys/coordinator.pub",
                 message: "Error: Key file $DIR/garbled.key is not a CURVE key: it has characters outside the Z85 alphabet.", status: 1, setup: .keys),
        BadInput(what: "--key without --authorized-keys", command: "hypergrid run --grid $DIR/good.yaml --key $DIR/keys/coordinator.key",
                 message: "Error: --key and --authorized-keys go together: give both (CurveZMQ) or neither (plain TCP).", status: 64),
        BadInput(what: "an authorized-keys directory without .pub files",
                 command: "hypergrid coordinator --grid $DIR/good.yaml --key $DIR/keys/coordinator.key --authorized-keys $DIR/no-keys",
                 message: "Error: The authorized keys directory $DIR/no-keys holds no .pub files, so no worker could connect.", status: 1, setup: .keys),
        BadInput(what: "a worker key without the coordinator's", command: "hypergrid worker --connect tcp://127.0.0.1:5555 --key $DIR/keys/worker.key",
                 message: "Error: --key and --coordinator-key go together: give both (CurveZMQ) or neither (plain TCP).", status: 64),
        BadInput(what: "keygen over an existing key", command: "hypergrid keygen $DIR/keys/coordinator",
                 message: "Error: $DIR/keys/coordinator.key already exists; pass --force to replace it.", status: 1, setup: .keys),
        // The coordinator from a worker's side.
        BadInput(what: "a malformed coordinator address", command: "hypergrid worker --connect 10.0.0.5:5555",
                 message: "Error: --connect '10.0.0.5:5555' is not a coordinator address: it is not of the form tcp://HOST:PORT; use tcp://HOST:PORT, e.g. tcp://10.0.0.5:5555.",
                 status: 64),
        BadInput(what: "an unreachable coordinator", command: "hypergrid worker --connect tcp://127.0.0.1:$PORT --heartbeat 0.2 --give-up-after 1",
                 message: "No coordinator answered at tcp://127.0.0.1:$PORT in 1 s; is it running and reachable from here?", status: 5,
                 setup: .closedPort),
        BadInput(what: "a coordinator of another protocol version (played by the test)",
                 command: "hypergrid worker --connect tcp://127.0.0.1:$PORT --heartbeat 0.2",
                 message: "The coordinator at tcp://127.0.0.1:$PORT speaks protocol 99, this worker speaks $VERSION; it said: this coordinator speaks protocol 99.",
                 status: 4, setup: .fakeCoordinator(version: 99, reason: "this coordinator speaks protocol 99")),
        BadInput(what: "a coordinator of other numerics (played by the test)",
                 command: "hypergrid worker --connect tcp://127.0.0.1:$PORT --heartbeat 0.2",
                 message: "The coordinator at tcp://127.0.0.1:$PORT refused this worker: numerics $NUMERICS differ from the coordinator's hg-numerics-0.",
                 status: 3, setup: .fakeCoordinator(version: WireFormat.version, reason: "numerics $NUMERICS differ from the coordinator's hg-numerics-0")),
        // The field table's generic setter.
        BadInput(what: "an unknown trial field for --set", command: "hypergrid train --set model.width=3",
                 message: "Error: --set takes KEY=VALUE with the grid key of a trial field listed by hypergrid train --help; got 'model.width=3'.",
                 status: 64),
        BadInput(what: "a random crop with PCA (crops move pixels, PCA replaces them)",
                 command: "hypergrid train --dataset cifar10 --pca 0.9 --set training.random_crop=4",
                 message: "Error: --set training.random_crop needs image pixels, which PCA replaces with principal components; turn PCA off (standardised pixels work).",
                 status: 64),
        BadInput(what: "a random crop on tabular data", command: "hypergrid train --format csv --data $DIR/good.csv --label y --set training.random_crop=2 --no-cache",
                 message: "Error: --set training.random_crop needs image data; CSV rows are not images.",
                 status: 64),
        BadInput(what: "a label smoothing of 1 or more", command: "hypergrid train --set training.label_smoothing=1",
                 message: "Error: --set training.label_smoothing must be in [0, 1), got 1.0.",
                 status: 64),
        BadInput(what: "a MixUp α above 4", command: "hypergrid train --set training.mixup=8",
                 message: "Error: --set training.mixup must be a Beta(α, α) parameter in (0, 4.0], or 0 for off, got 8.0.",
                 status: 64),
        // Models: predict and export.
        BadInput(what: "export of a run with no kept model", command: "hypergrid export $DIR/run-empty --format onnx --output $DIR/out.onnx",
                 message: "Error: The run $DIR/run-empty has no kept model in $DIR/run-empty/models: run the search with search.keep_models of 1 or more, or give an .hgmodel file.",
                 status: 1, setup: .models),
        BadInput(what: "an unknown trial id", command: "hypergrid export $DIR/run --trial 0123456789ab --format safetensors --output $DIR/out.safetensors",
                 message: "Error: The run $DIR/run keeps no model of trial 0123456789ab (kept: $KEPT).", status: 1, setup: .models),
        BadInput(what: "a corrupt model file (one byte changed)", command: "hypergrid predict --model $DIR/corrupt.hgmodel --input $DIR/rows.npy --output $DIR/p.csv",
                 message: "Error: $DIR/corrupt.hgmodel is damaged or truncated: its CRC-32 does not match its contents.", status: 1, setup: .models),
        BadInput(what: "a truncated model file", command: "hypergrid export $DIR/truncated.hgmodel --format onnx --output $DIR/out.onnx",
                 message: "Error: $DIR/truncated.hgmodel is damaged or truncated: its CRC-32 does not match its contents.", status: 1, setup: .models),
        BadInput(what: "a model of a newer format version", command: "hypergrid predict --model $DIR/newer.hgmodel --input $DIR/rows.npy --output $DIR/p.csv",
                 message: "Error: $DIR/newer.hgmodel is model format 2, written by a newer hypergrid; this build reads format 1 and earlier.",
                 status: 1, setup: .models),
        BadInput(what: "predict input with the wrong feature count", command: "hypergrid predict --model $DIR/model.hgmodel --input $DIR/narrow.npy --output $DIR/p.csv",
                 message: "Error: $DIR/narrow.npy has 10 values per row, but the model takes 64 values per row.", status: 1, setup: .models),
        BadInput(what: "predict input without a column the model needs", command: "hypergrid predict --model $DIR/table.hgmodel --input $DIR/no-colour.csv --output $DIR/p.csv",
                 message: "Error: $DIR/no-colour.csv:1: the model's column 'colour' is not in the header (columns: size, kind).", status: 1, setup: .models),
        BadInput(what: "a table given to a model of arrays", command: "hypergrid predict --model $DIR/model.hgmodel --input $DIR/no-colour.csv --output $DIR/p.csv",
                 message: "Error: $DIR/no-colour.csv is a table, but the model was trained on arrays of 64 values per row; give a .npy or .npz file.",
                 status: 1, setup: .models),
        BadInput(what: "an output folder that does not exist", command: "hypergrid predict --model $DIR/model.hgmodel --input $DIR/rows.npy --output $DIR/no-such-dir/p.csv",
                 message: "Error: Cannot write the predictions file $DIR/no-such-dir/p.csv: the folder $DIR/no-such-dir does not exist.", status: 1, setup: .models),
        BadInput(what: "an output path that is a folder", command: "hypergrid export $DIR/model.hgmodel --format onnx --output $DIR/run",
                 message: "Error: Cannot write the onnx file $DIR/run: it is a directory.", status: 1, setup: .models),
    ]
}
