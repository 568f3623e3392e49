//! What the demo's contracts are made of: kinds of things a city buys, each with plausible
//! contract titles, the departments and contract types that buy it, the trades of companies
//! that sell it, and the ten line items of such a contract, priced within a range.

/// A line item of a kind of contract.
pub struct Item {
    pub description: &'static str,
    /// What a price is per ("ton", "each"); for a discount, empty.
    pub unit: &'static str,
    /// Dollars per unit (or percent off, when `percent`), between these.
    pub price: (f64, f64),
    /// Makers whose model numbers the item lists; none for services and bulk materials.
    pub makers: &'static [&'static str],
    pub percent: bool,
}

const fn item(description: &'static str, unit: &'static str, low: f64, high: f64) -> Item {
    Item { description, unit, price: (low, high), makers: &[], percent: false }
}

const fn discount(description: &'static str, low: f64, high: f64) -> Item {
    Item { description, unit: "", price: (low, high), makers: &[], percent: true }
}

const fn made(
    description: &'static str,
    unit: &'static str,
    low: f64,
    high: f64,
    makers: &'static [&'static str],
) -> Item {
    Item { description, unit, price: (low, high), makers, percent: false }
}

/// A kind of thing the city buys under contract.
pub struct Kind {
    pub titles: &'static [&'static str],
    /// Seeded department names; the first is the usual buyer.
    pub departments: &'static [&'static str],
    /// Seeded contract type names.
    pub types: &'static [&'static str],
    /// What a company selling it calls its trade ("Salt", "Fire Apparatus").
    pub trades: &'static [&'static str],
    pub items: [Item; 10],
}

const PUBLIC_WORKS: &str = "Department of Public Works";
const PUBLIC_SAFETY: &str = "Department of Public Safety";
const PARKS: &str = "Department of Parks and Recreation";
const INNOVATION: &str = "Innovation and Performance";
const BUDGET: &str = "Office of Management and Budget";
const FINANCE: &str = "Department of Finance";

pub const KINDS: [Kind; 16] = [
    Kind {
        titles: &["Road salt, bulk delivery", "Rock salt and anti-skid materials", "Winter de-icing materials"],
        departments: &[PUBLIC_WORKS],
        types: &["B-BID", "STATE", "COSTARS"],
        trades: &["Salt", "Aggregates", "Road Materials"],
        items: [
            made(
                "Rock salt, bulk, delivered to city salt domes",
                "ton",
                58.0,
                92.0,
                &["Morton", "Cargill", "Compass Minerals"],
            ),
            item("Treated rock salt, magnesium chloride blend", "ton", 78.0, 115.0),
            item("Anti-skid aggregate, 2B limestone", "ton", 16.0, 31.0),
            item("Calcium chloride flakes, 50 lb bag", "bag", 19.0, 36.0),
            item("Salt brine, delivered by tanker", "gallon", 0.12, 0.35),
            item("Bagged ice melt, 50 lb", "bag", 8.0, 15.0),
            item("Beet juice de-icing additive", "gallon", 1.1, 2.9),
            item("Stockpile cover tarp, 40 x 60 ft", "each", 290.0, 640.0),
            item("Weekend and holiday delivery surcharge", "delivery", 180.0, 520.0),
            item("Salt dome loading, per hour with operator", "hour", 95.0, 160.0),
        ],
    },
    Kind {
        titles: &["Asphalt paving materials", "Street resurfacing program", "Pothole patching materials"],
        departments: &[PUBLIC_WORKS],
        types: &["A-BID", "B-BID"],
        trades: &["Paving", "Asphalt", "Construction"],
        items: [
            item("Hot mix asphalt, 9.5 mm Superpave wearing course", "ton", 62.0, 95.0),
            item("Asphalt base course, 25 mm", "ton", 55.0, 84.0),
            made("Cold patch asphalt, 50 lb bag", "bag", 9.0, 17.0, &["UPM", "QPR", "EZ Street"]),
            item("Tack coat emulsion", "gallon", 2.4, 4.8),
            item("Milling of existing pavement, 2 in depth", "square yard", 1.8, 4.2),
            item("Hot pour crack sealant", "pound", 0.9, 2.1),
            item("Concrete curb ramp, ADA compliant", "each", 2_100.0, 4_800.0),
            item("Manhole adjustment to grade", "each", 240.0, 610.0),
            item("Thermoplastic crosswalk marking", "linear foot", 2.2, 6.5),
            item("Traffic control and flagging", "hour", 48.0, 92.0),
        ],
    },
    Kind {
        titles: &["Fire apparatus", "Pumper trucks for the Bureau of Fire", "Aerial ladder truck"],
        departments: &[PUBLIC_SAFETY],
        types: &["COSTARS", "B-BID", "STATE"],
        trades: &["Fire Apparatus", "Fire Equipment", "Emergency Vehicles"],
        items: [
            made(
                "Custom pumper, 1,500 GPM, 750 gallon tank",
                "each",
                640_000.0,
                910_000.0,
                &["Pierce", "E-One", "Sutphen"],
            ),
            made("Aerial ladder truck, 100 ft", "each", 1_050_000.0, 1_450_000.0, &["Pierce", "E-One", "Sutphen"]),
            made("LED warning light bar", "each", 1_900.0, 3_600.0, &["Whelen", "Federal Signal"]),
            made("Ground ladder, 24 ft extension", "each", 780.0, 1_350.0, &["Duo-Safety", "Alco-Lite"]),
            made("Portable generator, 6 kW", "each", 2_400.0, 4_100.0, &["Honda", "Harrison"]),
            made("Thermal imaging camera", "each", 6_200.0, 11_500.0, &["MSA", "Bullard", "FLIR"]),
            item("Annual fire pump service test", "each", 450.0, 900.0),
            item("Apparatus preventive maintenance", "hour", 105.0, 165.0),
            item("Apparatus body repair", "hour", 95.0, 150.0),
            item("Delivery inspection at the factory, two firefighters", "trip", 2_500.0, 4_500.0),
        ],
    },
    Kind {
        titles: &[
            "Firefighter turnout gear",
            "Self-contained breathing apparatus",
            "Firefighters' protective equipment",
        ],
        departments: &[PUBLIC_SAFETY],
        types: &["COSTARS", "B-BID"],
        trades: &["Fire Equipment", "Safety Supply", "Protective Equipment"],
        items: [
            made("Turnout coat, NFPA 1971", "each", 1_350.0, 2_100.0, &["Globe", "Lion", "Fire-Dex"]),
            made("Turnout pants, NFPA 1971", "each", 980.0, 1_600.0, &["Globe", "Lion", "Fire-Dex"]),
            made("Structural firefighting helmet", "each", 310.0, 520.0, &["Cairns", "Bullard", "MSA"]),
            made("Structural firefighting gloves", "pair", 75.0, 160.0, &["Shelby", "Fire-Dex"]),
            made("Leather fire boots", "pair", 390.0, 640.0, &["Haix", "Thorogood"]),
            made("Particulate-blocking hood", "each", 55.0, 120.0, &["Majestic", "Lion"]),
            made("SCBA, 4,500 psi, 45 minute", "each", 7_900.0, 10_400.0, &["MSA", "Scott Safety", "Dräger"]),
            made(
                "SCBA cylinder, carbon fiber, 45 minute",
                "each",
                1_100.0,
                1_700.0,
                &["MSA", "Scott Safety", "Dräger"],
            ),
            item("Advanced gear cleaning and inspection", "each", 45.0, 90.0),
            item("Gear repair", "hour", 55.0, 95.0),
        ],
    },
    Kind {
        titles: &["Police radios and accessories", "Body-worn cameras", "Patrol vehicle equipment"],
        departments: &[PUBLIC_SAFETY],
        types: &["STATE", "COSTARS", "GSA"],
        trades: &["Communications", "Public Safety Equipment", "Wireless"],
        items: [
            made("Portable radio, P25, 700/800 MHz", "each", 4_200.0, 6_800.0, &["Motorola", "L3Harris", "Kenwood"]),
            made("Mobile radio, vehicle-mounted", "each", 3_600.0, 5_900.0, &["Motorola", "L3Harris", "Kenwood"]),
            made("Radio battery, high capacity", "each", 95.0, 180.0, &["Motorola", "L3Harris"]),
            made("Body-worn camera with mount", "each", 650.0, 1_200.0, &["Axon", "Motorola", "Getac"]),
            item("Video evidence storage, per camera", "month", 28.0, 60.0),
            made("Vehicle light bar, LED", "each", 1_500.0, 2_700.0, &["Whelen", "Federal Signal", "Code 3"]),
            made("Prisoner transport partition", "each", 780.0, 1_400.0, &["Setina", "Havis"]),
            made("Radar speed measuring unit", "each", 2_300.0, 3_900.0, &["Decatur", "Stalker", "Kustom Signals"]),
            item("Equipment installation in patrol vehicles", "hour", 70.0, 120.0),
            item("Radio programming and repair", "hour", 80.0, 135.0),
        ],
    },
    Kind {
        titles: &["Janitorial services for city buildings", "Custodial services, police zone stations"],
        departments: &[PUBLIC_WORKS, FINANCE],
        types: &["B-BID", "A-BID"],
        trades: &["Building Services", "Janitorial", "Facility Services"],
        items: [
            item("Nightly cleaning, City-County Building", "month", 18_000.0, 31_000.0),
            item("Nightly cleaning, police zone stations", "month", 6_500.0, 12_000.0),
            item("Day porter service", "hour", 24.0, 39.0),
            item("Floor stripping and refinishing", "square foot", 0.28, 0.65),
            item("Carpet extraction cleaning", "square foot", 0.18, 0.42),
            item("Interior window washing", "visit", 900.0, 2_200.0),
            item("Restroom deep cleaning and sanitizing", "visit", 120.0, 260.0),
            item("Emergency cleanup, flooding or biohazard", "hour", 65.0, 140.0),
            item("Event setup and cleanup", "hour", 28.0, 45.0),
            item("Quarterly high dusting", "visit", 700.0, 1_600.0),
        ],
    },
    Kind {
        titles: &["Janitorial supplies", "Custodial paper products and can liners"],
        departments: &[PUBLIC_WORKS, PARKS],
        types: &["COSTARS", "B-BID"],
        trades: &["Sanitary Supply", "Paper & Janitorial", "Cleaning Products"],
        items: [
            made(
                "Paper towels, multifold, case of 4,000",
                "case",
                24.0,
                42.0,
                &["Tork", "Georgia-Pacific", "Kimberly-Clark"],
            ),
            made(
                "Toilet tissue, 2-ply, case of 96 rolls",
                "case",
                48.0,
                79.0,
                &["Tork", "Georgia-Pacific", "Kimberly-Clark"],
            ),
            item("Trash liners, 40 x 46 in, case of 100", "case", 21.0, 38.0),
            made("Foam hand soap, 1,000 ml refill", "each", 7.5, 14.0, &["GOJO", "Ecolab"]),
            made("Neutral disinfectant cleaner, concentrate", "gallon", 14.0, 29.0, &["Ecolab", "Diversey", "Spartan"]),
            made("Floor finish, high-speed burnish", "gallon", 19.0, 36.0, &["Spartan", "Diversey"]),
            item("Microfiber mop heads, pack of 12", "pack", 28.0, 55.0),
            made("Commercial backpack vacuum", "each", 380.0, 690.0, &["ProTeam", "Sanitaire"]),
            item("Wet floor caution sign", "each", 12.0, 24.0),
            discount("Catalog items not listed, discount off list price", 18.0, 35.0),
        ],
    },
    Kind {
        titles: &[
            "Desktop computers and monitors",
            "Laptops and rugged tablets",
            "Network switches and wireless access points",
        ],
        departments: &[INNOVATION],
        types: &["COSTARS", "STATE", "GSA"],
        trades: &["Technology", "Computer Systems", "IT Solutions"],
        items: [
            made(
                "Desktop computer, Intel Core i5, 16 GB, 512 GB SSD",
                "each",
                780.0,
                1_150.0,
                &["Dell", "HP", "Lenovo"],
            ),
            made("24 in LED monitor", "each", 150.0, 260.0, &["Dell", "HP", "Lenovo"]),
            made("Laptop, 14 in, 16 GB, 512 GB SSD", "each", 1_050.0, 1_600.0, &["Dell", "HP", "Lenovo"]),
            made("Rugged tablet for field inspectors", "each", 1_900.0, 3_100.0, &["Panasonic", "Getac", "Dell"]),
            made("USB-C docking station", "each", 160.0, 290.0, &["Dell", "HP", "Lenovo"]),
            made("48-port network switch, PoE+", "each", 3_800.0, 7_200.0, &["Cisco", "Juniper", "Aruba"]),
            made("Wireless access point, Wi-Fi 6", "each", 420.0, 880.0, &["Cisco", "Juniper", "Aruba"]),
            made("Uninterruptible power supply, 1,500 VA", "each", 480.0, 820.0, &["APC", "Eaton"]),
            item("Extended warranty, next business day, 3 years", "each", 95.0, 210.0),
            item("Imaging, asset tagging and deployment", "hour", 65.0, 110.0),
        ],
    },
    Kind {
        titles: &[
            "Software licenses and support",
            "Geographic information system software",
            "Endpoint security software",
        ],
        departments: &[INNOVATION, FINANCE],
        types: &["COSTARS", "STATE"],
        trades: &["Software", "Data Systems", "Technology"],
        items: [
            made("Office productivity suite, per user", "year", 95.0, 260.0, &["Microsoft", "Google"]),
            made("Endpoint protection, per device", "year", 28.0, 65.0, &["CrowdStrike", "Microsoft", "Sophos"]),
            made("GIS desktop license", "year", 1_400.0, 3_800.0, &["Esri"]),
            made("Database server license, per core", "each", 1_800.0, 7_000.0, &["Microsoft", "Oracle"]),
            made("Backup software, per protected terabyte", "year", 180.0, 450.0, &["Veeam", "Commvault"]),
            item("Email archiving, per mailbox", "year", 18.0, 42.0),
            item("Cloud storage, per terabyte", "month", 18.0, 30.0),
            item("Implementation services", "hour", 145.0, 240.0),
            item("End-user training, per day on site", "day", 1_400.0, 2_600.0),
            item("Premier support", "year", 6_000.0, 24_000.0),
        ],
    },
    Kind {
        titles: &["Fleet vehicles", "Dump trucks with snow plows", "Police patrol vehicles"],
        departments: &[PUBLIC_WORKS, PUBLIC_SAFETY],
        types: &["COSTARS", "STATE"],
        trades: &["Ford", "Truck Center", "Motors", "Fleet Sales"],
        items: [
            made("Police interceptor utility vehicle, AWD", "each", 41_000.0, 52_000.0, &["Ford"]),
            made("Pickup truck, 3/4 ton, 4x4", "each", 44_000.0, 58_000.0, &["Ford", "Chevrolet", "Ram"]),
            made(
                "Single-axle dump truck, 33,000 GVWR",
                "each",
                118_000.0,
                165_000.0,
                &["International", "Freightliner", "Mack"],
            ),
            made("Reversible snow plow, 11 ft", "each", 8_900.0, 14_500.0, &["Henderson", "Fisher", "Viking-Cives"]),
            made("Stainless steel salt spreader, 10 cubic yard", "each", 14_000.0, 22_000.0, &["Henderson", "Swenson"]),
            made("Compact SUV, hybrid", "each", 29_000.0, 36_000.0, &["Ford", "Toyota", "Honda"]),
            made("Cargo van, high roof", "each", 46_000.0, 59_000.0, &["Ford", "Ram", "Mercedes-Benz"]),
            item("Upfitting, lights and equipment", "hour", 85.0, 135.0),
            item("Extended powertrain warranty, 5 years", "each", 1_800.0, 3_400.0),
            item("Delivery, title and registration", "each", 350.0, 900.0),
        ],
    },
    Kind {
        titles: &["Playground equipment and safety surfacing", "Park benches and site furnishings"],
        departments: &[PARKS],
        types: &["COSTARS", "B-BID"],
        trades: &["Playgrounds", "Recreation", "Site Furnishings"],
        items: [
            made(
                "Play structure, ages 5 to 12",
                "each",
                48_000.0,
                120_000.0,
                &["GameTime", "Landscape Structures", "Miracle"],
            ),
            made("Swing set, 4 bays", "each", 4_800.0, 9_500.0, &["GameTime", "Landscape Structures", "Miracle"]),
            item("Poured-in-place rubber safety surfacing", "square foot", 14.0, 24.0),
            item("Engineered wood fiber surfacing", "cubic yard", 32.0, 55.0),
            made("Park bench, 6 ft, recycled plastic", "each", 680.0, 1_400.0, &["Victor Stanley", "Wabash Valley"]),
            made("Picnic table, ADA accessible", "each", 1_100.0, 2_200.0, &["Victor Stanley", "Wabash Valley"]),
            made("Trash receptacle, 32 gallon, steel", "each", 780.0, 1_500.0, &["Victor Stanley", "Wabash Valley"]),
            item("Certified playground safety inspection", "each", 350.0, 750.0),
            item("Installation", "hour", 65.0, 115.0),
            item("Removal and disposal of old equipment", "each", 1_200.0, 3_800.0),
        ],
    },
    Kind {
        titles: &["Park mowing and landscape maintenance", "Tree pruning and removal"],
        departments: &[PARKS, PUBLIC_WORKS],
        types: &["A-BID", "B-BID"],
        trades: &["Landscaping", "Tree Service", "Lawn & Garden"],
        items: [
            item("Mowing, large turf areas", "acre", 38.0, 75.0),
            item("Mowing and trimming, medians and islands", "acre", 85.0, 160.0),
            item("String trimming around fixtures", "hour", 35.0, 60.0),
            item("Leaf removal, fall cleanup", "acre", 180.0, 420.0),
            item("Mulch, double-shredded hardwood, installed", "cubic yard", 42.0, 78.0),
            item("Tree pruning, up to 24 in diameter", "each", 220.0, 520.0),
            item("Tree removal, up to 24 in diameter", "each", 650.0, 1_600.0),
            item("Stump grinding", "inch of diameter", 4.0, 9.0),
            item("Emergency storm response crew", "hour", 190.0, 340.0),
            item("Herbicide application, licensed applicator", "acre", 60.0, 140.0),
        ],
    },
    Kind {
        titles: &["Traffic signal equipment", "Traffic signs, posts and hardware"],
        departments: &[PUBLIC_WORKS],
        types: &["B-BID", "COSTARS", "County"],
        trades: &["Traffic Systems", "Signal", "Signs"],
        items: [
            made("Traffic signal controller, ATC", "each", 3_200.0, 5_600.0, &["Econolite", "Siemens", "McCain"]),
            made("LED signal head, 12 in, 3 section", "each", 420.0, 780.0, &["Econolite", "Siemens", "McCain"]),
            made("Pedestrian countdown signal", "each", 380.0, 690.0, &["Econolite", "Siemens", "McCain"]),
            made("Signal cabinet, NEMA TS2", "each", 6_800.0, 11_000.0, &["Econolite", "McCain"]),
            made("Vehicle detection camera", "each", 2_600.0, 4_900.0, &["Iteris", "Econolite"]),
            item("Square tube sign post, 12 ft, galvanized", "each", 38.0, 72.0),
            item("Stop sign, 30 in, high-intensity prismatic", "each", 45.0, 85.0),
            item("Street name sign blank, aluminum", "each", 18.0, 39.0),
            item("Sign installation", "each", 65.0, 140.0),
            item("Emergency signal repair, after hours", "hour", 110.0, 190.0),
        ],
    },
    Kind {
        titles: &["Office supplies", "Office furniture", "Copy paper and toner"],
        departments: &[BUDGET, FINANCE],
        types: &["COSTARS", "STATE"],
        trades: &["Office Products", "Business Interiors", "Office Supply"],
        items: [
            item("Copy paper, letter, 20 lb, case of 10 reams", "case", 38.0, 62.0),
            made("Toner cartridge, black, high yield", "each", 95.0, 240.0, &["HP", "Lexmark", "Brother"]),
            item("Ballpoint pens, medium, box of 12", "box", 3.5, 9.0),
            item("File folders, letter, box of 100", "box", 11.0, 24.0),
            made("Task chair, ergonomic, mesh back", "each", 290.0, 690.0, &["Steelcase", "HON", "Herman Miller"]),
            made("Workstation desk, 60 x 30 in", "each", 420.0, 950.0, &["Steelcase", "HON", "Kimball"]),
            made("Lateral filing cabinet, 4 drawer", "each", 690.0, 1_300.0, &["HON", "Steelcase"]),
            item("Furniture delivery and installation", "hour", 55.0, 95.0),
            item("Next-day desktop delivery, orders under $50", "order", 5.0, 15.0),
            discount("Catalog items not listed, discount off list price", 20.0, 45.0),
        ],
    },
    Kind {
        titles: &["Work uniforms and safety apparel", "Police uniforms"],
        departments: &[PUBLIC_WORKS, PUBLIC_SAFETY],
        types: &["COSTARS", "B-BID"],
        trades: &["Uniforms", "Workwear", "Uniform Rental"],
        items: [
            item("Work shirt, short sleeve, embroidered", "each", 18.0, 34.0),
            item("Work pants, cotton duck", "each", 26.0, 48.0),
            item("High-visibility safety vest, ANSI class 2", "each", 9.0, 22.0),
            item("Winter parka, high-visibility, ANSI class 3", "each", 95.0, 180.0),
            made("Safety boots, composite toe", "pair", 110.0, 190.0, &["Red Wing", "Carhartt", "Timberland PRO"]),
            item("Rain jacket and bib overalls set", "set", 45.0, 95.0),
            made("Police duty shirt, long sleeve", "each", 42.0, 78.0, &["Flying Cross", "Elbeco", "Blauer"]),
            made("Police duty trousers", "each", 48.0, 90.0, &["Flying Cross", "Elbeco", "Blauer"]),
            item("Embroidery or patch application", "item", 3.0, 8.0),
            item("Alterations", "item", 8.0, 22.0),
        ],
    },
    Kind {
        titles: &["Elevator maintenance", "HVAC maintenance and repair", "Boiler inspection and service"],
        departments: &[PUBLIC_WORKS, FINANCE],
        types: &["B-BID", "A-BID"],
        trades: &["Mechanical", "Elevator", "Heating & Cooling"],
        items: [
            item("Elevator preventive maintenance, per elevator", "month", 240.0, 520.0),
            item("Elevator emergency call-out", "hour", 180.0, 320.0),
            item("Annual elevator safety test", "each", 450.0, 900.0),
            item("HVAC preventive maintenance, quarterly visit", "visit", 600.0, 1_900.0),
            item("Boiler inspection and cleaning", "each", 700.0, 1_600.0),
            item("Chiller repair", "hour", 140.0, 230.0),
            item("Pleated air filters, 20 x 25 x 2 in, case of 12", "case", 48.0, 95.0),
            item("Refrigerant R-410A", "pound", 18.0, 45.0),
            made("Programmable thermostat, installed", "each", 280.0, 560.0, &["Honeywell", "Johnson Controls"]),
            item("After-hours service, technician", "hour", 165.0, 260.0),
        ],
    },
];

/// Where the demo's companies are from, and family names some are called after.
pub const PLACES: [&str; 40] = [
    "Allegheny",
    "Three Rivers",
    "Keystone",
    "Steel City",
    "Monongahela",
    "Ohio Valley",
    "Golden Triangle",
    "Liberty",
    "Penn",
    "Northside",
    "Southside",
    "Hilltop",
    "Riverfront",
    "Duquesne",
    "Carnegie",
    "Fort Pitt",
    "Summit",
    "Mon Valley",
    "Laurel",
    "Beaver Valley",
    "Butler",
    "Westmoreland",
    "Oakmont",
    "Sewickley",
    "Homestead",
    "Braddock",
    "Millvale",
    "Bellevue",
    "Crafton",
    "Wilkinsburg",
    "Bridgeville",
    "Canonsburg",
    "Greensburg",
    "Cranberry",
    "Monroeville",
    "Aspinwall",
    "Bloomfield",
    "Lawrenceville",
    "Polish Hill",
    "Squirrel Hill",
];
pub const FAMILIES: [&str; 24] = [
    "Kowalski",
    "DiNardo",
    "Novak",
    "McAllister",
    "Petrakis",
    "Brennan",
    "Ferraro",
    "Lutz",
    "Yablonski",
    "Okafor",
    "Schultz",
    "Romano",
    "Hrabosky",
    "Delgado",
    "Wojcik",
    "Bauer",
    "Costa",
    "Sullivan",
    "Mancini",
    "Kaminski",
    "O'Hara",
    "Fitzgerald",
    "Zielinski",
    "Marsh",
];
/// Ends of company names; the last two follow family names only.
pub const SUFFIXES: [&str; 8] = ["Inc.", "Co.", "LLC", "Corporation", "Group", "Company", "& Sons", "Brothers"];
/// How many of [`SUFFIXES`] follow a place's name.
pub const PLACE_SUFFIXES: usize = 6;
pub const FIRST_NAMES: [&str; 12] =
    ["Alex", "Sam", "Jordan", "Taylor", "Casey", "Morgan", "Dana", "Chris", "Pat", "Jamie", "Robin", "Lee"];
pub const LAST_NAMES: [&str; 12] =
    ["Smith", "Novak", "Kowalski", "Brown", "Garcia", "Lee", "Nguyen", "Miller", "Rossi", "Walsh", "Patel", "Jones"];
pub const STREETS: [&str; 10] = [
    "Liberty Avenue",
    "Penn Avenue",
    "Smallman Street",
    "Butler Street",
    "Carson Street",
    "Forbes Avenue",
    "Grant Street",
    "Route 8",
    "McKnight Road",
    "Washington Road",
];

/// City staff who follow the demo's contracts: (email, first name, last name, department).
/// Addresses at example.org, which is never delivered.
pub const STAFF: [(&str, &str, &str, &str); 6] = [
    ("dana.kowalski@example.org", "Dana", "Kowalski", PUBLIC_WORKS),
    ("marcus.green@example.org", "Marcus", "Green", PUBLIC_WORKS),
    ("luis.ortega@example.org", "Luis", "Ortega", PUBLIC_SAFETY),
    ("priya.raman@example.org", "Priya", "Raman", INNOVATION),
    ("janet.cho@example.org", "Janet", "Cho", PARKS),
    ("sam.whitfield@example.org", "Sam", "Whitfield", BUDGET),
];
