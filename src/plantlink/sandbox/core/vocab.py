"""Vendor-neutral vocabulary for believable plant-maintenance data.

Every sandbox draws names, equipment, parts and failure texts from the same lists, so data
looks alike across systems and a demo that syncs two of them tells one story. Lists are
tuples and never reordered: reordering would change every generated record.

How a vendor plugs in: pick from these with an ``Rng`` and format to the vendor's fields
(e.g. MaintainX puts ``EQUIPMENT[i].name`` into ``asset.name``, SAP into
``EquipmentName``). Add entries only at the end of a tuple.
"""

from __future__ import annotations

from typing import NamedTuple

FIRST_NAMES = (
    "James", "Maria", "Robert", "Linda", "Michael", "Patricia", "David", "Jennifer",
    "Carlos", "Elena", "Ahmed", "Fatima", "Wei", "Mei", "Rahul", "Priya", "Lukas",
    "Anna", "Mateo", "Sofia", "Kenji", "Yuki", "Olivier", "Chloe", "Tomasz", "Agnieszka",
    "Samuel", "Grace", "Diego", "Lucia", "Noah", "Emma", "Jamal", "Aisha", "Erik",
    "Ingrid", "Pedro", "Camila", "Daniel", "Sarah", "Marcus", "Nadia", "Felix", "Hannah",
)  # fmt: skip

LAST_NAMES = (
    "Smith", "Garcia", "Johnson", "Martinez", "Brown", "Nguyen", "Müller", "Schmidt",
    "Rossi", "Kowalski", "Tanaka", "Chen", "Patel", "Singh", "Dubois", "Lefebvre",
    "Andersson", "Nielsen", "Silva", "Santos", "O'Brien", "Murphy", "Kim", "Park",
    "Hernandez", "Lopez", "Wilson", "Taylor", "Novak", "Horvath", "Costa", "Fischer",
    "Weber", "Jansen", "Bakker", "Ivanov", "Popescu", "Yilmaz", "Haddad", "Okafor",
)  # fmt: skip

TRADES = (
    "Maintenance Technician", "Electrician", "Millwright", "Instrumentation Technician",
    "Maintenance Planner", "Reliability Engineer", "Maintenance Supervisor", "Mechanic",
    "HVAC Technician", "Storeroom Clerk", "Plant Engineer", "Operator",
)  # fmt: skip

CITIES = (
    ("Columbus", "Ohio", "43215", "United States"),
    ("Greenville", "South Carolina", "29601", "United States"),
    ("Hamilton", "Ontario", "L8P 4R5", "Canada"),
    ("Monterrey", "Nuevo León", "64000", "Mexico"),
    ("Rotterdam", "Zuid-Holland", "3011 AA", "Netherlands"),
    ("Ludwigshafen", "Rheinland-Pfalz", "67059", "Germany"),
    ("Gdańsk", "Pomorskie", "80-001", "Poland"),
    ("Pune", "Maharashtra", "411001", "India"),
    ("Houston", "Texas", "77002", "United States"),
    ("Lyon", "Auvergne-Rhône-Alpes", "69002", "France"),
    ("Milwaukee", "Wisconsin", "53202", "United States"),
    ("Curitiba", "Paraná", "80010-000", "Brazil"),
)  # fmt: skip

STREETS = (
    "Industrial Parkway", "Commerce Drive", "Harbor Road", "Mill Street", "Foundry Lane",
    "Canal Street", "Refinery Road", "Enterprise Way", "Logistics Boulevard", "Quarry Road",
    "Riverside Avenue", "Factory Row", "Power Plant Road", "Station Street", "Dock Road",
)  # fmt: skip

PLANT_KINDS = (
    "Bottling Plant", "Packaging Plant", "Chemical Works", "Assembly Plant",
    "Food Processing Plant", "Paper Mill", "Metal Works", "Distribution Center",
)  # fmt: skip

BUILDINGS = (
    "Production Hall", "Utilities Building", "Warehouse", "Packaging Hall", "Boiler House",
    "Process Building", "Maintenance Shop", "Tank Farm", "Wastewater Plant", "Admin Building",
)  # fmt: skip

AREAS = (
    "Line", "Cell", "Bay", "Zone", "Compressor Room", "Pump Room", "Mezzanine", "Loading Dock",
    "Control Room", "Mixing Area", "Filling Area", "Palletizing Area", "Substation",
)  # fmt: skip


class Equipment(NamedTuple):
    """An equipment class with its usual makers, models, meter and spare parts."""

    name: str
    tag: str
    makers: tuple[tuple[str, tuple[str, ...]], ...]
    meter: tuple[str, str]  # (meter name, unit)
    parts: tuple[str, ...]  # indexes into PARTS by name


EQUIPMENT = (
    Equipment("Centrifugal Pump", "P", (("Grundfos", ("CR 32-4", "NB 65-200", "CRN 15-5")),
              ("KSB", ("Etanorm 080-200", "Movitec 25/8")), ("Flowserve", ("Durco Mark 3",))),
              ("Run Hours", "Hours"), ("Mechanical Seal", "Ball Bearing", "Impeller", "Coupling")),
    Equipment("Air Compressor", "AC", (("Atlas Copco", ("GA 37 VSD+", "GA 75", "ZR 160")),
              ("Ingersoll Rand", ("R55n", "R110i")), ("Kaeser", ("CSD 105", "ASD 60"))),
              ("Run Hours", "Hours"), ("Air Filter", "Oil Filter", "Separator Element",
                                       "V-Belt")),
    Equipment("Electric Motor", "M", (("Siemens", ("1LE1001", "SIMOTICS GP")),
              ("ABB", ("M3BP 160", "M3AA 112")), ("WEG", ("W22 IE3",))),
              ("Winding Temperature", "Celsius"), ("Ball Bearing", "Coupling", "Cooling Fan")),
    Equipment("Belt Conveyor", "CV", (("Interroll", ("Series 3500", "RollerDrive EC5000")),
              ("Hytrol", ("E24EZ", "ProSort 400"))),
              ("Cycles", "Cycles"), ("Conveyor Belt", "Idler Roller", "V-Belt", "Ball Bearing")),
    Equipment("Gearbox", "GB", (("SEW-Eurodrive", ("R97", "KA77")), ("Flender", ("FZG 180",)),
              ("Nord", ("SK 9032.1",))), ("Oil Temperature", "Celsius"),
              ("Gear Oil", "Oil Seal", "Ball Bearing")),
    Equipment("Boiler", "B", (("Cleaver-Brooks", ("CBEX 200", "ClearFire-H")),
              ("Bosch", ("UL-S 8000",))), ("Steam Pressure", "PSI"),
              ("Burner Nozzle", "Gasket Set", "Water Level Probe")),
    Equipment("Chiller", "CH", (("Trane", ("RTAC 200", "CVHF 500")), ("Carrier", ("30XA 252",)),
              ("York", ("YK 350",))), ("Run Hours", "Hours"),
              ("Refrigerant Filter Drier", "Oil Filter", "Contactor")),
    Equipment("Filling Machine", "FM", (("Krones", ("Modulfill VFS",)), ("Sidel", ("EvoFILL",))),
              ("Cycles", "Cycles"), ("Filling Valve", "O-Ring Kit", "Proximity Sensor")),
    Equipment("Palletizer", "PL", (("Fanuc", ("M-410iC/185",)), ("Kuka", ("KR 180 PA",))),
              ("Cycles", "Cycles"), ("Gripper Pad", "Servo Motor", "Proximity Sensor")),
    Equipment("Hydraulic Press", "HP", (("Schuler", ("MSD 400",)), ("Beckwood", ("HP-150",))),
              ("Oil Temperature", "Celsius"), ("Hydraulic Filter", "Hydraulic Hose", "O-Ring Kit")),
    Equipment("Cooling Tower", "CT", (("Baltimore Aircoil", ("Series 3000",)),
              ("SPX Marley", ("NC Series",))), ("Water Temperature", "Celsius"),
              ("Fan Belt", "Fill Media", "Spray Nozzle")),
    Equipment("Forklift", "FL", (("Toyota", ("8FGU25", "8FBE18")), ("Linde", ("E20 PH",)),
              ("Hyster", ("H50FT",))), ("Engine Hours", "Hours"),
              ("Hydraulic Filter", "Tire", "Battery")),
    Equipment("Heat Exchanger", "HX", (("Alfa Laval", ("M10-BFG", "T20-MFM")),
              ("Kelvion", ("NX100",))), ("Outlet Temperature", "Celsius"),
              ("Gasket Set", "Plate")),
    Equipment("Mixer", "MX", (("SPX Flow", ("Lightnin 70Q",)), ("EKATO", ("Paravisc",))),
              ("Run Hours", "Hours"), ("Mechanical Seal", "Gearbox Oil", "Agitator Blade")),
    Equipment("Variable Frequency Drive", "VFD", (("ABB", ("ACS880", "ACS580")),
              ("Danfoss", ("FC 302",)), ("Rockwell", ("PowerFlex 755",))),
              ("Output Current", "Amps"), ("Cooling Fan", "Capacitor Bank", "Fuse")),
)  # fmt: skip


class Part(NamedTuple):
    """A spare part with a part-number prefix and its unit cost range in cents."""

    name: str
    code: str
    cost_cents: tuple[int, int]


PARTS = (
    Part("Mechanical Seal", "MS", (18_000, 95_000)),
    Part("Ball Bearing", "BRG", (1_200, 24_000)),
    Part("Impeller", "IMP", (35_000, 180_000)),
    Part("Coupling", "CPL", (4_500, 38_000)),
    Part("Air Filter", "AF", (2_500, 14_000)),
    Part("Oil Filter", "OF", (1_500, 9_000)),
    Part("Separator Element", "SEP", (12_000, 60_000)),
    Part("V-Belt", "VB", (900, 7_500)),
    Part("Cooling Fan", "FAN", (6_000, 45_000)),
    Part("Conveyor Belt", "CB", (40_000, 350_000)),
    Part("Idler Roller", "IR", (3_000, 16_000)),
    Part("Gear Oil", "GO", (4_000, 30_000)),
    Part("Oil Seal", "OS", (300, 4_500)),
    Part("Burner Nozzle", "BN", (7_000, 26_000)),
    Part("Gasket Set", "GS", (1_800, 22_000)),
    Part("Water Level Probe", "WLP", (9_000, 42_000)),
    Part("Refrigerant Filter Drier", "RFD", (5_000, 19_000)),
    Part("Contactor", "CTR", (4_000, 21_000)),
    Part("Filling Valve", "FV", (25_000, 120_000)),
    Part("O-Ring Kit", "ORK", (600, 5_500)),
    Part("Proximity Sensor", "PXS", (3_500, 18_000)),
    Part("Gripper Pad", "GP", (1_500, 8_000)),
    Part("Servo Motor", "SRV", (80_000, 420_000)),
    Part("Hydraulic Filter", "HF", (2_000, 15_000)),
    Part("Hydraulic Hose", "HH", (2_500, 19_000)),
    Part("Fan Belt", "FB", (1_100, 6_500)),
    Part("Fill Media", "FMD", (30_000, 150_000)),
    Part("Spray Nozzle", "SN", (800, 4_000)),
    Part("Tire", "TR", (15_000, 70_000)),
    Part("Battery", "BAT", (90_000, 450_000)),
    Part("Plate", "PLT", (6_000, 35_000)),
    Part("Gearbox Oil", "GBO", (4_000, 25_000)),
    Part("Agitator Blade", "AGB", (20_000, 110_000)),
    Part("Capacitor Bank", "CAP", (15_000, 90_000)),
    Part("Fuse", "FUS", (200, 3_500)),
)

PART_INDEX = {p.name: i for i, p in enumerate(PARTS)}

SUPPLIER_NAMES = (
    "Grainger", "Motion Industries", "Applied Industrial Technologies", "MSC Industrial Supply",
    "Fastenal", "RS Components", "Würth Industrie Service", "SKF Distribution",
    "Kaman Distribution", "Bearing & Drive Supply", "Allied Electronics", "Zoro Tools",
    "Hoffmann Group", "Mouser Industrial", "Atlas Copco Service", "Siemens Service",
    "ABB Service", "Grundfos Service", "Regional Hydraulics", "Northern Electric Supply",
    "Precision Seals", "Coastal Compressor", "Summit Conveyor Parts", "Keystone Valve",
)  # fmt: skip

COMPANY_SUFFIXES = ("Inc.", "LLC", "GmbH", "Ltd.", "S.A.", "B.V.", "Corp.", "Co.")

PAYMENT_TERMS = ("Net 30", "Net 45", "Net 60", "2/10 Net 30", "Due on receipt")

ACTIONS = (
    "Inspect", "Replace", "Lubricate", "Repair", "Calibrate", "Clean", "Adjust", "Overhaul",
    "Tighten", "Test", "Align", "Rebuild",
)  # fmt: skip

FAULTS = (
    "abnormal vibration", "oil leak", "overheating", "unusual noise", "low pressure",
    "high current draw", "belt slipping", "seal leaking", "tripped breaker",
    "intermittent fault alarm", "reduced throughput", "corrosion on housing",
    "loose mounting bolts", "worn bearings", "clogged filter", "sensor out of range",
)  # fmt: skip

PM_TASKS = (
    "Monthly inspection", "Quarterly lubrication", "Annual overhaul", "Weekly safety check",
    "Filter replacement", "Vibration analysis", "Thermographic survey", "Belt tension check",
    "Calibration check", "Oil sample and analysis",
)  # fmt: skip

FAILURE_CODES = (
    "MECH-WEAR", "MECH-MISALIGN", "ELEC-SHORT", "ELEC-OPEN", "LUBE-LOW", "LEAK-SEAL",
    "INST-DRIFT", "OPER-ERROR", "CONT-DIRT", "NONE",
)  # fmt: skip

COST_CENTERS = ("CC-1100", "CC-1200", "CC-2100", "CC-2200", "CC-3100", "CC-4000")
