//! Small real datasets, embedded in the binary and parsed once on first use (copied from
//! scikit-learn 1.9.1; sources and licences in `crates/nn/data/README.md`).
//!
//! | loader | rows | features | target |
//! |---|---|---|---|
//! | [`iris`] | 150 | 4 | 3 classes, 50 each |
//! | [`wine`] | 178 | 13 | 3 classes, 59/71/48 |
//! | [`breast_cancer`] | 569 | 30 | 2 classes: 0 malignant (212), 1 benign (357) |
//! | [`diabetes`] | 442 | 10, raw (unscaled) | disease progression `[442, 1]`, 25..346 |
//! | [`digits`] | 1797 | 64 (8×8 pixels, 0..16) | 10 classes |
//!
//! Classification targets are class indices of shape `[N]`; the rows of `iris` and `wine`
//! are sorted by class, so shuffle before splitting (`train_test_split` does).

use std::sync::OnceLock;

use super::csv::{parse_csv, CsvOptions, Target};
use super::dataset::Dataset;

const IRIS: &str = include_str!("../../data/iris.csv");
const WINE: &str = include_str!("../../data/wine_data.csv");
const BREAST_CANCER: &str = include_str!("../../data/breast_cancer.csv");
const DIABETES_X: &str = include_str!("../../data/diabetes_data_raw.csv");
const DIABETES_Y: &str = include_str!("../../data/diabetes_target.csv");
const DIGITS: &str = include_str!("../../data/digits.csv");

/// Reads the numbers of an embedded file (known to be valid) through the CSV reader:
/// no header (scikit-learn's first line of counts and class names is skipped), the last
/// column as the target, or none.
fn read(text: &str, sep: char, skip_first_line: bool, target: Target) -> Dataset {
    let body = if skip_first_line {
        text.split_once('\n').map_or("", |(_, rest)| rest)
    } else {
        text
    };
    let options = CsvOptions::new()
        .header(false)
        .delimiter(sep)
        .target(target);
    parse_csv(body, "embedded", &options).expect("embedded data is numeric")
}

/// A dataset whose rows end with the class label.
fn labelled(
    text: &str,
    sep: char,
    header: bool,
    features: Vec<String>,
    classes: Vec<String>,
) -> Dataset {
    let data = read(text, sep, header, Target::Last);
    Dataset {
        x: data.x,
        y: data.y.reshape(&[-1]),
        feature_names: features,
        target_names: classes,
    }
}

fn names(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

/// Fisher's iris: 150 flowers, 4 measurements (cm), 3 species.
pub fn iris() -> Dataset {
    static DATA: OnceLock<Dataset> = OnceLock::new();
    DATA.get_or_init(|| {
        labelled(
            IRIS,
            ',',
            true,
            names(&[
                "sepal length (cm)",
                "sepal width (cm)",
                "petal length (cm)",
                "petal width (cm)",
            ]),
            names(&["setosa", "versicolor", "virginica"]),
        )
    })
    .clone()
}

/// Wine recognition: 178 wines, 13 chemical measurements, 3 cultivars.
pub fn wine() -> Dataset {
    static DATA: OnceLock<Dataset> = OnceLock::new();
    DATA.get_or_init(|| {
        labelled(
            WINE,
            ',',
            true,
            names(&[
                "alcohol",
                "malic_acid",
                "ash",
                "alcalinity_of_ash",
                "magnesium",
                "total_phenols",
                "flavanoids",
                "nonflavanoid_phenols",
                "proanthocyanins",
                "color_intensity",
                "hue",
                "od280/od315_of_diluted_wines",
                "proline",
            ]),
            names(&["class_0", "class_1", "class_2"]),
        )
    })
    .clone()
}

/// Breast cancer Wisconsin (diagnostic): 569 tumours, 30 features, malignant (0) or
/// benign (1).
pub fn breast_cancer() -> Dataset {
    static DATA: OnceLock<Dataset> = OnceLock::new();
    DATA.get_or_init(|| {
        let base = [
            "radius",
            "texture",
            "perimeter",
            "area",
            "smoothness",
            "compactness",
            "concavity",
            "concave points",
            "symmetry",
            "fractal dimension",
        ];
        let features = ["mean {}", "{} error", "worst {}"]
            .iter()
            .flat_map(|pattern| base.iter().map(move |b| pattern.replace("{}", b)))
            .collect();
        labelled(
            BREAST_CANCER,
            ',',
            true,
            features,
            names(&["malignant", "benign"]),
        )
    })
    .clone()
}

/// Diabetes: 442 patients, 10 raw baseline variables (age, sex, bmi, bp, s1–s6), and a
/// measure of disease progression one year later, `[442, 1]`. The features are the raw
/// file values (scikit-learn's `scaled=False`); standardize them yourself on the training
/// rows.
pub fn diabetes() -> Dataset {
    static DATA: OnceLock<Dataset> = OnceLock::new();
    DATA.get_or_init(|| Dataset {
        x: read(DIABETES_X, ' ', false, Target::None).x,
        y: read(DIABETES_Y, ' ', false, Target::None).x,
        feature_names: names(&[
            "age", "sex", "bmi", "bp", "s1", "s2", "s3", "s4", "s5", "s6",
        ]),
        target_names: names(&["progression"]),
    })
    .clone()
}

/// Handwritten digits: 1797 images of 8×8 pixels (values 0..16, flattened row by row to
/// 64 features), labels 0..9.
pub fn digits() -> Dataset {
    static DATA: OnceLock<Dataset> = OnceLock::new();
    DATA.get_or_init(|| {
        let features = (0..64)
            .map(|k| format!("pixel_{}_{}", k / 8, k % 8))
            .collect();
        let classes = (0..10).map(|d| d.to_string()).collect();
        labelled(DIGITS, ',', false, features, classes)
    })
    .clone()
}
