//! Small real datasets, embedded in the binary and parsed once on first use (copied from
//! scikit-learn 1.9.1 and, for the two time series, statsmodels 0.15.0; sources and
//! licences in `crates/nn/data/README.md`).
//!
//! | loader | rows | features | target |
//! |---|---|---|---|
//! | [`iris`] | 150 | 4 | 3 classes, 50 each |
//! | [`wine`] | 178 | 13 | 3 classes, 59/71/48 |
//! | [`breast_cancer`] | 569 | 30 | 2 classes: 0 malignant (212), 1 benign (357) |
//! | [`diabetes`] | 442 | 10, raw (unscaled) | disease progression `[442, 1]`, 25..346 |
//! | [`digits`] | 1797 | 64 (8×8 pixels, 0..16) | 10 classes |
//! | [`co2_weekly`] | 2284 weeks | year, month, day | CO₂ ppm `[2284, 1]`, 59 weeks NaN |
//! | [`sunspots_yearly`] | 309 years | year | yearly mean sunspot number `[309, 1]` |
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
const CO2_WEEKLY: &str = include_str!("../../data/co2_weekly.csv");
const SUNSPOTS_YEARLY: &str = include_str!("../../data/sunspots_yearly.csv");

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

/// A two-column series file with a header line: the first column into `x` (split by
/// `keys_of` into several numbers), the second into `y` (an empty field is NaN, a missing
/// observation).
fn series(text: &str, keys_of: fn(&str) -> Vec<f32>, key_names: &[&str], value: &str) -> Dataset {
    let (mut keys, mut values) = (Vec::new(), Vec::new());
    for line in text.lines().skip(1).filter(|l| !l.is_empty()) {
        let (k, v) = line.split_once(',').expect("two columns");
        keys.extend(keys_of(k));
        values.push(if v.is_empty() {
            f32::NAN
        } else {
            v.parse().expect("embedded data is numeric")
        });
    }
    let n = values.len();
    Dataset {
        x: tensor::Tensor::from_vec(keys, &[n, key_names.len()]).expect("n keys"),
        y: tensor::Tensor::from_vec(values, &[n, 1]).expect("n values"),
        feature_names: names(key_names),
        target_names: names(&[value]),
    }
}

/// Weekly atmospheric CO₂ at Mauna Loa (ppm), 1958-03-29 to 2001-12-29: `x` holds the
/// week's date as year, month, day `[2284, 3]`, `y` the concentration `[2284, 1]`, with 59 weeks
/// missing (NaN; see [`interpolate`](super::interpolate)). Keeling & Whorf (2004), Scripps
/// flask samples, CDIAC; public domain, via statsmodels' `datasets.co2`.
pub fn co2_weekly() -> Dataset {
    static DATA: OnceLock<Dataset> = OnceLock::new();
    // YYYYMMDD does not fit f32's 24-bit mantissa: split it.
    let date = |d: &str| {
        let n: u32 = d.parse().expect("YYYYMMDD");
        vec![(n / 10000) as f32, (n / 100 % 100) as f32, (n % 100) as f32]
    };
    DATA.get_or_init(|| series(CO2_WEEKLY, date, &["year", "month", "day"], "co2"))
        .clone()
}

/// Yearly mean sunspot number, 1700 to 2008: `x` is the year, `y` the activity
/// `[309, 1]` (a quasi-periodic ~11-year cycle). NOAA National Geophysical Data Center;
/// public domain, via statsmodels' `datasets.sunspots`.
pub fn sunspots_yearly() -> Dataset {
    static DATA: OnceLock<Dataset> = OnceLock::new();
    let year = |y: &str| vec![y.parse().expect("a year")];
    DATA.get_or_init(|| series(SUNSPOTS_YEARLY, year, &["year"], "sunactivity"))
        .clone()
}
