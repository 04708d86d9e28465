//! Categorical columns: a `Table` read from hand-written CSV, encoded with scikit-learn's
//! semantics; expected codes written by hand.

use nn::data::{
    parse_table, Column, CsvOptions, DataError, HandleUnknown, LabelEncoder, OneHotEncoder,
    OrdinalEncoder, Table,
};
use tensor::Tensor;

fn people() -> Table {
    let text = "age,sex,city,label\n\
                31,f,Seoul,yes\n\
                45,m,\"Lima\",no\n\
                NA,f,Oslo,yes\n\
                27, m ,Lima,maybe\n";
    parse_table(
        text,
        "people.csv",
        &CsvOptions::new().categorical(["sex", "city", "label"]),
    )
    .unwrap()
}

#[test]
fn a_table_keeps_text_columns_and_parses_the_rest() {
    let t = people();
    assert_eq!(t.len(), 4);
    assert_eq!(t.names(), ["age", "sex", "city", "label"]);
    assert_eq!(t.numeric_names(), ["age"]);
    assert_eq!(t.text("sex").unwrap(), ["f", "m", "f", "m"]); // spaces trimmed
    let age = t.numbers("age").unwrap();
    assert_eq!((age[0], age[1], age[3]), (31.0, 45.0, 27.0));
    assert!(age[2].is_nan());
    assert_eq!(
        t.to_tensor::<f32>(&["age"]).unwrap().shape(),
        &[4, 1],
        "one column per name"
    );
    assert!(matches!(t.column("city").unwrap(), Column::Text(v) if v[1] == "Lima"));
    assert_eq!(
        t.numbers("city").unwrap_err().to_string(),
        "column \"city\" holds text, not numbers"
    );
    assert_eq!(
        t.text("height").unwrap_err().to_string(),
        "people.csv: no column \"height\" (columns: age, sex, city, label)"
    );
    assert_eq!(t.select(&[3, 0]).text("city").unwrap(), ["Lima", "Seoul"]);
}

#[test]
fn one_hot_sorts_categories_and_names_features() {
    let t = people();
    let enc = OneHotEncoder::fit(&t, &["sex", "city"]).unwrap();
    assert_eq!(enc.categories()[1], ["Lima", "Oslo", "Seoul"]);
    assert_eq!(
        enc.feature_names(),
        ["sex=f", "sex=m", "city=Lima", "city=Oslo", "city=Seoul"]
    );
    let x = enc.transform::<f64>(&t).unwrap();
    assert_eq!(x.shape(), &[4, 5]);
    #[rustfmt::skip]
    let expected = [
        1.0, 0.0,  0.0, 0.0, 1.0,
        0.0, 1.0,  1.0, 0.0, 0.0,
        1.0, 0.0,  0.0, 1.0, 0.0,
        0.0, 1.0,  1.0, 0.0, 0.0,
    ];
    assert_eq!(x.to_vec(), expected);
    let back = enc.inverse_transform(&x).unwrap();
    assert_eq!(back[2], [Some("f".to_string()), Some("Oslo".to_string())]);
    assert!(enc
        .inverse_transform(&Tensor::<f64>::zeros(&[1, 4]))
        .is_err());
}

#[test]
fn encoders_fit_on_training_rows_and_handle_unknowns_as_asked() {
    let t = people();
    let (train, test) = (t.select(&[0, 1, 3]), t.select(&[2])); // Oslo only in test
    let enc = OneHotEncoder::fit(&train, &["city"]).unwrap();
    assert_eq!(
        enc.transform::<f32>(&test).unwrap_err().to_string(),
        "column \"city\": unknown category \"Oslo\" (known: Lima, Seoul); fit on more data or \
         use HandleUnknown::Ignore"
    );
    let enc = enc.handle_unknown(HandleUnknown::Ignore);
    assert_eq!(enc.transform::<f32>(&test).unwrap().to_vec(), [0.0, 0.0]);
    let ord = OrdinalEncoder::fit(&train, &["sex", "city"]).unwrap();
    assert!(matches!(
        ord.transform::<f32>(&test),
        Err(DataError::UnknownCategory { .. })
    ));
    let ord = ord.unknown_value(-1.0);
    assert_eq!(ord.transform::<f32>(&test).unwrap().to_vec(), [0.0, -1.0]);
    assert_eq!(
        ord.transform::<f32>(&train).unwrap().to_vec(),
        [0.0, 1.0, 1.0, 0.0, 1.0, 0.0]
    );
    let back = ord
        .inverse_transform(&Tensor::from_vec(vec![1.0f32, -1.0], &[1, 2]).unwrap())
        .unwrap();
    assert_eq!(back, [vec![Some("m".to_string()), None]]);
    assert_eq!(ord.feature_names(), ["sex", "city"]);
    // A numeric column cannot be encoded as categories.
    assert!(matches!(
        OneHotEncoder::fit(&t, &["age"]),
        Err(DataError::ColumnType { .. })
    ));
}

#[test]
fn label_encoder_maps_text_classes_to_indices_and_back() {
    let t = people();
    let labels = t.text("label").unwrap();
    let enc = LabelEncoder::fit(labels);
    assert_eq!(enc.classes(), ["maybe", "no", "yes"]);
    let y = enc.transform::<f32, _>(labels).unwrap();
    assert_eq!(
        (y.shape(), y.to_vec()),
        (&[4][..], vec![2.0, 1.0, 2.0, 0.0])
    );
    assert_eq!(enc.inverse_transform(&y).unwrap(), labels);
    assert!(enc.transform::<f32, _>(&["perhaps"]).is_err());
    let err = enc
        .inverse_transform(&Tensor::from_vec(vec![3.0f32], &[1]).unwrap())
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "LabelEncoder::inverse_transform: 3 is not a class index (0..3)"
    );
}

#[test]
fn a_table_splits_like_a_dataset_with_the_same_seed() {
    let text: String = std::iter::once("v,c\n".to_string())
        .chain((0..10).map(|i| format!("{i},k{i}\n")))
        .collect();
    let t = parse_table(&text, "t.csv", &CsvOptions::new().categorical(["c"])).unwrap();
    let (train, test) = t.train_test_split(0.3, 7).unwrap();
    assert_eq!((train.len(), test.len()), (7, 3));
    let d = nn::data::parse_csv::<f64>(&text.replace('k', ""), "t.csv", &CsvOptions::default())
        .unwrap();
    let (_, dtest) = d.train_test_split(0.3, 7).unwrap();
    assert_eq!(test.numbers("v").unwrap(), dtest.x.to_vec());
    // Text and numbers stay aligned row by row.
    let v = test.numbers("v").unwrap();
    let c = test.text("c").unwrap();
    for (v, c) in v.iter().zip(c) {
        assert_eq!(format!("k{v}"), *c);
    }
}
