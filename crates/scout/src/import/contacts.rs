//! The vendor contact columns shared by the three contract files, parsed as the original did.

use super::reader::Row;

/// A contact's fields; `None` where the file had nothing usable.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Contact {
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub addr1: Option<String>,
    pub city: Option<String>,
    pub state: Option<String>,
    pub zip_code: Option<String>,
    pub phone_number: Option<String>,
    pub fax_number: Option<String>,
    pub email: Option<String>,
}

impl Contact {
    /// A contact is recorded only when the row says something about one.
    pub fn is_empty(&self) -> bool {
        *self == Contact::default()
    }
}

/// `CONTACT` of exactly two words gives first and last name; `ADDRESS2` as `CITY, ST  ZIP`
/// gives city, state and a five-digit ZIP (all three or none); the rest is copied as it is.
pub fn parse(row: &Row) -> Contact {
    let (first_name, last_name) = match row.get("CONTACT").map(|c| c.split_whitespace().collect::<Vec<_>>()) {
        Some(words) if words.len() == 2 => (Some(words[0].to_owned()), Some(words[1].to_owned())),
        _ => (None, None),
    };
    let (city, state, zip_code) = row.get("ADDRESS2").and_then(city_state_zip).unwrap_or_default();
    let copy = |h: &str| row.get(h).map(str::to_owned);
    Contact {
        first_name,
        last_name,
        addr1: copy("ADDRESS1"),
        city,
        state,
        zip_code,
        phone_number: copy("PHONE #"),
        fax_number: copy("FAX #"),
        email: copy("E-MAIL ADDRESS"),
    }
}

type CityStateZip = (Option<String>, Option<String>, Option<String>);

fn city_state_zip(address2: &str) -> Option<CityStateZip> {
    let (city, rest) = address2.split_once(',')?;
    let parts: Vec<&str> = rest.split_whitespace().collect();
    let [state, zip] = parts[..] else { return None };
    let zip: String = zip.chars().take(5).collect();
    Some((Some(city.to_owned()), Some(state.to_owned()), Some(zip)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::reader::read;

    fn row(csv: &str) -> Row {
        read(csv.as_bytes()).expect("table").rows.remove(0).expect("row")
    }

    #[test]
    fn contacts_parse_like_the_original() {
        let r = row(
            "CONTACT,ADDRESS2,ADDRESS1,PHONE #\nTed Czeka,\"TURTLE CREEK, PA 15145-1234\",1319 AIRBRAKE AVENUE,412-824-9540\n",
        );
        let c = parse(&r);
        assert_eq!((c.first_name.as_deref(), c.last_name.as_deref()), (Some("Ted"), Some("Czeka")));
        assert_eq!(
            (c.city.as_deref(), c.state.as_deref(), c.zip_code.as_deref()),
            (Some("TURTLE CREEK"), Some("PA"), Some("15145"))
        );
        assert_eq!(c.addr1.as_deref(), Some("1319 AIRBRAKE AVENUE"));

        let odd = parse(&row("CONTACT,ADDRESS2\nMary Ann Smith,PITTSBURGH PA 15222\n"));
        assert_eq!((odd.first_name, odd.city), (None, None), "three names, and no comma");
        assert!(parse(&row("CONTACT,ADDRESS2,OTHER\n,,x\n")).is_empty());
        assert!(!parse(&row("CONTACT,PHONE #\n, \n")).is_empty(), "a cell of spaces is a value, as in the original");
    }
}
