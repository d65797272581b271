//! Reading JSON objects strictly.

/// For a struct inside a body: serde reads a struct from a JSON array too,
/// by position, which no client means; only an object (or null, for an
/// optional one) is taken.
pub fn object<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::de::DeserializeOwned,
{
    use serde::Deserialize as _;
    use serde::de::Error as _;
    let value = serde_json::Value::deserialize(deserializer)?;
    if value.is_array() {
        return Err(D::Error::invalid_type(
            serde::de::Unexpected::Seq,
            &"an object",
        ));
    }
    serde_json::from_value(value).map_err(D::Error::custom)
}

/// [`object`] for each item of a list.
pub fn objects<'de, D, T>(deserializer: D) -> Result<Option<Vec<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::de::DeserializeOwned,
{
    use serde::Deserialize as _;
    use serde::de::Error as _;
    let value = Option::<Vec<serde_json::Value>>::deserialize(deserializer)?;
    let Some(items) = value else { return Ok(None) };
    items
        .into_iter()
        .enumerate()
        .map(|(i, item)| {
            if item.is_array() {
                return Err(D::Error::custom(format!("[{i}]: expected an object")));
            }
            serde_json::from_value(item).map_err(|e| D::Error::custom(format!("[{i}]: {e}")))
        })
        .collect::<Result<Vec<T>, _>>()
        .map(Some)
}
