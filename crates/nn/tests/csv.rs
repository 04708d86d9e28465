//! CSV files as other programs write them: spreadsheet exports, semicolons, CR-only line
//! endings, quoting, missing-value spellings, bad headers — each checked against values
//! written by hand.

use nn::data::{parse_csv, parse_table, read_csv, CsvOptions, DataError, Dataset, Target};

fn read(text: &str, opts: &CsvOptions) -> Result<Dataset<f64>, DataError> {
    parse_csv::<f64>(text, "t.csv", opts)
}

#[test]
fn a_spreadsheet_export_loads_bom_crlf_and_quotes() {
    // What a spreadsheet writes: BOM, CRLF, every field quoted, a comma inside a name,
    // a doubled quote inside a name, and a newline inside a quoted name.
    let text = "\u{feff}\"age, years\",\"say \"\"hi\"\"\",\"two\nlines\",\"y\"\r\n\
                \"41\",\"1.5\",\"-2\",\"1\"\r\n\
                \"35\",\"\",\"3e2\",\"0\"\r\n";
    let d = read(text, &CsvOptions::default()).unwrap();
    assert_eq!(d.feature_names, ["age, years", "say \"hi\"", "two\nlines"]);
    assert_eq!(d.target_names, ["y"]);
    let x = d.x.to_vec();
    assert_eq!(
        (x[0], x[1], x[2], x[3], x[5]),
        (41.0, 1.5, -2.0, 35.0, 300.0)
    );
    assert!(x[4].is_nan());
    assert_eq!(d.y.to_vec(), [1.0, 0.0]);
}

#[test]
fn line_endings_lf_crlf_and_cr_only_read_the_same_and_count_lines() {
    for (ending, what) in [("\n", "LF"), ("\r\n", "CRLF"), ("\r", "CR")] {
        let text = ["a,b", "1,2", "3,4", ""].join(ending);
        let d = read(&text, &CsvOptions::default()).unwrap();
        assert_eq!(d.x.to_vec(), [1.0, 3.0], "{what}");
        assert_eq!(d.y.to_vec(), [2.0, 4.0], "{what}");
        // Errors report the right line whatever the ending.
        let bad = ["a,b", "1,2", "3,4", "5,x"].join(ending);
        let err = read(&bad, &CsvOptions::default()).unwrap_err();
        assert!(
            matches!(
                err,
                DataError::NotNumeric {
                    line: 4,
                    column: 2,
                    ..
                }
            ),
            "{what}: {err}"
        );
    }
}

#[test]
fn delimiters_any_byte_and_sniffed_from_the_header() {
    let semi = "a;b;y\n1;2;3\n";
    let d = read(semi, &CsvOptions::new().delimiter(';')).unwrap();
    assert_eq!(d.x.to_vec(), [1.0, 2.0]);
    let err = read(semi, &CsvOptions::default()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "t.csv:1: no ',' in the first line \"a;b;y\", but it has ';': set \
         CsvOptions::delimiter(';') or CsvOptions::sniff_delimiter()"
    );
    for (text, what) in [
        (semi, "semicolon"),
        ("a\tb\ty\n1\t2\t3\n", "tab"),
        ("a,b,y\n1,2,3\n", "comma"),
        // Quoted delimiters do not count: two ';' outside quotes beat three ',' inside.
        ("\"a,b,c,d\";b;y\n1;2;3\n", "quoted"),
    ] {
        let d = read(text, &CsvOptions::new().sniff_delimiter()).unwrap();
        assert_eq!(
            (d.x.to_vec(), d.y.to_vec()),
            (vec![1.0, 2.0], vec![3.0]),
            "{what}"
        );
    }
    let pipes = read("a|y\n1|2\n", &CsvOptions::new().delimiter('|')).unwrap();
    assert_eq!(pipes.y.to_vec(), [2.0]);
    let err = read("a,y\n", &CsvOptions::new().delimiter('→')).unwrap_err();
    assert!(err.to_string().contains("one ASCII character"), "{err}");
}

#[test]
fn pandas_missing_value_spellings_and_user_ones_read_as_nan() {
    let spellings = [
        "", "NA", "N/A", "NaN", "nan", "null", "NULL", "#N/A", "-NaN", "-nan", "<NA>", "n/a",
        "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "1.#IND", "1.#QNAN", "None",
    ];
    let text: String = std::iter::once("x,y\n".to_string())
        .chain(spellings.iter().map(|s| format!("{s},1\n")))
        .collect();
    let d = read(&text, &CsvOptions::default()).unwrap();
    assert_eq!(d.len(), spellings.len());
    assert!(d.x.to_vec().iter().all(|v| v.is_nan()));
    // UCI's "?" only when asked; "-999" as a sentinel wins over the number.
    let uci = "x,y\n?,1\n-999,2\n7,3\n";
    let err = read(uci, &CsvOptions::default()).unwrap_err();
    assert!(
        matches!(err, DataError::NotNumeric { line: 2, .. }),
        "{err}"
    );
    let d = read(uci, &CsvOptions::new().na_values(["?", "-999"])).unwrap();
    let x = d.x.to_vec();
    assert!(x[0].is_nan() && x[1].is_nan());
    assert_eq!(x[2], 7.0);
}

#[test]
fn header_problems_are_named() {
    let trailing = read("a,b,y,\n1,2,3,\n", &CsvOptions::default()).unwrap_err();
    assert_eq!(
        trailing.to_string(),
        "t.csv:1: column 4 of 4 in the header has no name (a trailing delimiter?)"
    );
    let gap = read("a,,y\n1,2,3\n", &CsvOptions::default()).unwrap_err();
    assert_eq!(
        gap.to_string(),
        "t.csv:1: column 2 of 3 in the header has no name"
    );
    let dup = read("a,b,a\n1,2,3\n", &CsvOptions::default()).unwrap_err();
    assert_eq!(
        dup.to_string(),
        "t.csv:1: the header names column 1 and column 3 both \"a\""
    );
    let missing = read(
        "age,income\n1,2\n",
        &CsvOptions::new().target(Target::Names(vec!["price".into()])),
    )
    .unwrap_err();
    assert_eq!(
        missing.to_string(),
        "t.csv: target column \"price\" not found (columns: age, income)"
    );
}

#[test]
fn field_counts_are_checked_with_line_numbers() {
    let many = read("a,b\n1,2\n\n3,4,5\n", &CsvOptions::default()).unwrap_err();
    assert_eq!(
        many.to_string(),
        "t.csv:4: too many fields: found 3, expected 2 (as in the header)"
    );
    // A quoted newline is one field, and the line of the next record counts it.
    let quoted = read(
        "a,b\n\"1\n\",2\n3\n",
        &CsvOptions::new().target(Target::None),
    );
    assert!(matches!(
        quoted.unwrap_err(),
        DataError::Ragged {
            line: 4,
            expected: 2,
            found: 1,
            ..
        }
    ));
    let no_header = read("1,2\n3\n", &CsvOptions::new().header(false)).unwrap_err();
    assert_eq!(
        no_header.to_string(),
        "t.csv:2: too few fields: found 1, expected 2 (as on the first data line)"
    );
    // Blank and space-only lines are skipped.
    let d = read("a,b\n1,2\n   \n\n3,4\n", &CsvOptions::default()).unwrap();
    assert_eq!(d.len(), 2);
}

#[test]
fn numeric_reader_points_to_the_categorical_path() {
    let text = "age,city,y\n31,Seoul,1\n";
    let err = read(text, &CsvOptions::default()).unwrap_err();
    assert!(
        err.to_string().starts_with(
            "t.csv:2: column 2 (city): \"Seoul\" is not a number (if \"city\" holds categories, \
             read it with CsvOptions::categorical and read_table"
        ),
        "{err}"
    );
    let err = read(text, &CsvOptions::new().categorical(["city"])).unwrap_err();
    assert!(err.to_string().contains("read_table"), "{err}");
    let table = parse_table(text, "t.csv", &CsvOptions::new().categorical(["town"])).unwrap_err();
    assert_eq!(
        table.to_string(),
        "t.csv: no column \"town\" (columns: age, city, y)"
    );
}

#[test]
fn a_large_numeric_file_streams_from_disk() {
    // 20,000 rows x 20 columns written here, read back exactly (f64 round trip).
    let dir = std::env::temp_dir().join(format!("wengert-csv-big-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("big.csv");
    let (rows, cols) = (20_000, 20);
    let value = |i: usize, j: usize| (i * cols + j) as f64 * 0.25 - 7.0;
    let mut text = (0..cols)
        .map(|j| format!("c{j}"))
        .collect::<Vec<_>>()
        .join(",")
        + "\n";
    for i in 0..rows {
        let line: Vec<String> = (0..cols).map(|j| value(i, j).to_string()).collect();
        text.push_str(&line.join(","));
        text.push('\n');
    }
    std::fs::write(&path, text).unwrap();
    let d = read_csv::<f64>(&path, &CsvOptions::default()).unwrap();
    assert_eq!(
        (d.x.shape(), d.y.shape()),
        (&[rows, cols - 1][..], &[rows, 1][..])
    );
    let (x, y) = (d.x.to_vec(), d.y.to_vec());
    assert_eq!(x[(rows - 1) * (cols - 1) + 3], value(rows - 1, 3));
    assert_eq!(y[rows / 2], value(rows / 2, cols - 1));
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A quote that is never closed swallows the rest of the file into one field; the error
/// says so and names the line the quote opens on (it used to report the header's line
/// and "too few fields").
#[test]
fn an_unclosed_quote_names_its_line() {
    let err = parse_csv::<f32>("a,b\n\"1,2\n3,4\n", "f.csv", &CsvOptions::default())
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with("f.csv:2: a quoted field opened on this line is never closed"),
        "{err}"
    );
    let err = parse_csv::<f32>("a,b\n1,2\n3\n\"4,5\n6,7\n", "f.csv", &CsvOptions::default())
        .unwrap_err()
        .to_string();
    assert!(err.starts_with("f.csv:3: too few fields"), "{err}"); // a plain short line
    let err = parse_csv::<f32>("a,b\n1,2\n\"4,5\n6,7\n", "f.csv", &CsvOptions::default())
        .unwrap_err()
        .to_string();
    assert!(err.starts_with("f.csv:3: a quoted field"), "{err}");
    // A closed quoted field with a line break inside is a field like any other (spaces
    // and line breaks around a number are ignored).
    let ok = parse_csv::<f32>("a,b\n\"1\n\",2\n", "f.csv", &CsvOptions::default()).unwrap();
    assert_eq!((ok.x.to_vec(), ok.y.to_vec()), (vec![1.0], vec![2.0]));
}

/// An unclosed quote in the header is named as on a data line (it read as "no data
/// rows"); a line `""` in a one-column file is a missing value, as pandas writes one with
/// `QUOTE_ALL` and Python's `csv` reads it, not a blank line to skip.
#[test]
fn quotes_in_the_header_and_quoted_empty_lines() {
    let err =
        parse_csv::<f32>("a,b,\"y\n1,2,3\n4,5,6\n", "f.csv", &CsvOptions::default()).unwrap_err();
    assert!(
        err.to_string()
            .starts_with("f.csv:1: a quoted field opened on this line is never closed"),
        "{err}"
    );
    let table = parse_table(
        "\"y\"\n\"1\"\n\"\"\n\n   \n\"3\"\n",
        "f.csv",
        &CsvOptions::default(),
    )
    .unwrap();
    let y = table.numbers("y").unwrap();
    assert_eq!(y.len(), 3, "{y:?}"); // the blank and the all-space lines are skipped
    assert_eq!((y[0], y[2]), (1.0, 3.0));
    assert!(y[1].is_nan());
    // In a wider file such a line is blank, skipped as before.
    let d = parse_csv::<f32>("a,b\n1,2\n\"\"\n3,4\n", "f.csv", &CsvOptions::default()).unwrap();
    assert_eq!(d.y.to_vec(), vec![2.0, 4.0]);
    let first = CsvOptions::default().header(false);
    let d = parse_csv::<f32>("\"\"\n1,2\n3,4\n", "f.csv", &first).unwrap();
    assert_eq!(d.y.to_vec(), vec![2.0, 4.0]);
}

/// A number too large for the type read into is an error naming the line and column
/// (it became an infinity, reported later by `fit` without the file); an infinity spelled
/// out stays one.
#[test]
fn a_number_too_large_for_the_type_names_its_line_and_column() {
    let text = "a,b\n1,2\n3,1e39\n";
    let err = parse_csv::<f32>(text, "f.csv", &CsvOptions::default()).unwrap_err();
    assert!(
        matches!(
            err,
            DataError::OutOfRange {
                line: 3,
                column: 2,
                dtype: "f32",
                ..
            }
        ) && err
            .to_string()
            .starts_with("f.csv:3: column 2 (b): \"1e39\" is too large for f32"),
        "{err}"
    );
    assert_eq!(
        parse_csv::<f64>(text, "f.csv", &CsvOptions::default())
            .unwrap()
            .y
            .to_vec(),
        vec![2.0, 1e39]
    );
    let err = parse_csv::<f64>("a,b\n-1e400,2\n", "f.csv", &CsvOptions::default()).unwrap_err();
    assert!(
        matches!(
            err,
            DataError::OutOfRange {
                line: 2,
                column: 1,
                dtype: "f64",
                ..
            }
        ),
        "{err}"
    );
    // A table holds f64: 1e39 fits there, and fails only when made an f32 tensor.
    let table = parse_table(text, "f.csv", &CsvOptions::default()).unwrap();
    assert_eq!(table.numbers("b").unwrap(), &[2.0, 1e39]);
    let err = table.to_tensor::<f32>(&["a", "b"]).unwrap_err();
    assert!(
        err.to_string()
            .contains("column \"b\", row 1: 1e39 is too large for f32"),
        "{err}"
    );
    let d = parse_csv::<f32>(
        "a,b\ninf,-Infinity\n+INF,3e38\n",
        "f.csv",
        &CsvOptions::default(),
    )
    .unwrap();
    assert_eq!(d.x.to_vec(), vec![f32::INFINITY, f32::INFINITY]);
    assert_eq!(d.y.to_vec(), vec![f32::NEG_INFINITY, 3e38]);
}

/// A UTF-16 file (with or without its byte-order mark) is named as such, not read as
/// text with a zero byte in every other place ("too few fields").
#[test]
fn a_utf16_file_is_named_as_such() {
    let text = "a,b\n1,2\n";
    let le: Vec<u8> = text.encode_utf16().flat_map(u16::to_le_bytes).collect();
    let be: Vec<u8> = text.encode_utf16().flat_map(u16::to_be_bytes).collect();
    for bytes in [
        [&[0xFF, 0xFE][..], &le].concat(),
        [&[0xFE, 0xFF][..], &be].concat(),
        le.clone(),
    ] {
        let path = std::env::temp_dir().join(format!("wengert-utf16-{}.csv", std::process::id()));
        std::fs::write(&path, &bytes).unwrap();
        let err = read_csv::<f32>(&path, &CsvOptions::default()).unwrap_err();
        std::fs::remove_file(&path).unwrap();
        assert!(err.to_string().contains("looks UTF-16 encoded"), "{err}");
    }
}

/// In the last column an unclosed quote leaves the record as wide as the header, so the
/// width check cannot see it (it used to read as "not a number" on the wrong line, or
/// take the rest of the file as text): the file's end tells. A quoted field that is
/// closed, with a line end inside, at the end of the file or before more lines, is read.
#[test]
fn an_unclosed_quote_in_the_last_column_names_its_line() {
    let parse = |text: &str| parse_csv::<f32>(text, "f.csv", &CsvOptions::default());
    for text in [
        "a,b\n1,\"2\n3,4\n",
        "a,b\n1,\"2\n3,4",           // no final line end
        "a,b\n1,\"2\r\n3,4\r\n\r\n", // CRLF, blank lines swallowed too
        "a,b\n1,\"2\"\"\n",          // ends in an escaped quote, still open
    ] {
        let err = parse(text).unwrap_err();
        assert!(
            matches!(err, DataError::UnclosedQuote { line: 2, .. }),
            "{text:?}: {err}"
        );
    }
    let ok = |text: &str| {
        let d = parse(text).unwrap_or_else(|e| panic!("{text:?}: {e}"));
        (d.x.to_vec(), d.y.to_vec())
    };
    assert_eq!(ok("a,b\n1,\"2\n\"\n"), (vec![1.0], vec![2.0]));
    assert_eq!(ok("a,b\n1,\"2\n\""), (vec![1.0], vec![2.0]));
    assert_eq!(ok("a,b\n1,\"2\n\"\n\n\n"), (vec![1.0], vec![2.0]));
    assert_eq!(
        ok("a,b\n1,\"2\n\"\n3,4\n"),
        (vec![1.0, 3.0], vec![2.0, 4.0])
    );
    // Closed after an escaped quote: a field like any other (here not a number).
    let err = parse("a,b\n1,\"2\n\"\"\"\n").unwrap_err();
    assert!(matches!(err, DataError::NotNumeric { .. }), "{err}");
}
