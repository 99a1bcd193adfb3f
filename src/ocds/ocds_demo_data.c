/*
 * ocds_demo_data.c - the tables behind the demo generator: buyers,
 * supplier countries with their register schemes and naming parts,
 * capability areas with CPV codes and typical purchases, Art. 28 grounds.
 * Names are invented (a place, a trade and a legal form), identifiers are
 * well-formed for their register but fictitious.
 */
#define OCDS_DEMO_INTERNAL
#include "common.h"
#include "ocds_demo.h"

const struct demo_buyer demo_buyers[] = {
    { "BE-BCE_KBO-0308357159-MR", "BE-BCE_KBO", "0308357159", "Defence - Directorate General Material Resources (DG MR)",
      "Evere", "BE", "MR", 52 },
    { "BE-BCE_KBO-0308357159-INFRA", "BE-BCE_KBO", "0308357159", "Defence - DG MR, Infrastructure Division", "Evere",
      "BE", "INF", 12 },
    { "XI-NATO-NSPA", "XI-NATO", "NSPA", "NATO Support and Procurement Agency (NSPA)", "Capellen", "LU", "NSPA", 9 },
    { "XI-OCCAR-EA", "XI-OCCAR", "EA", "OCCAR Executive Administration (on behalf of Belgium)", "Bonn", "DE", "OCCAR", 5 },
    { "BE-BCE_KBO-0308357159-BELCOMP", "BE-BCE_KBO", "0308357159",
      "BELCOMP - Belgian Component Command Procurement Cell", "Evere", "BE", "BELCOMP", 7 },
    { "BE-BCE_KBO-0207818776-DGR", "BE-BCE_KBO", "0207818776", "Federal Police - Directorate of Logistics (DGR/DRL)",
      "Brussels", "BE", "POL", 15 },
};
const size_t demo_nbuyers = BF_ARRAY_LEN(demo_buyers);

static const char *const be_places[] = { "Ardenne", "Meuse", "Scheldt", "Kempen", "Brabant", "Sambre", "Haspengouw",
                                         "Condroz", "Waasland", "Famenne", NULL };
static const char *const be_forms[] = { "NV", "SA", "BV", "SRL", NULL };
static const char *const fr_places[] = { "Vexin", "Provence", "Loire", "Aquitaine", "Vosges", "Beauce", NULL };
static const char *const fr_forms[] = { "SAS", "SA", NULL };
static const char *const de_places[] = { "Havelland", "Allgäu", "Eifel", "Harz", "Spessart", "Lausitz", NULL };
static const char *const de_forms[] = { "GmbH", "AG", "GmbH & Co. KG", NULL };
static const char *const nl_places[] = { "Zeeland", "Veluwe", "Twente", "Drenthe", "Brabantse Wal", NULL };
static const char *const nl_forms[] = { "B.V.", "N.V.", NULL };
static const char *const us_places[] = { "Cascade", "Chesapeake", "Sierra", "Ozark", "Mohawk", "Pinnacle", NULL };
static const char *const us_forms[] = { "Inc.", "LLC", "Corp.", NULL };
static const char *const gb_places[] = { "Pennine", "Solent", "Cotswold", "Severn", "Fenland", NULL };
static const char *const gb_forms[] = { "Ltd", "plc", NULL };
static const char *const it_places[] = { "Apuane", "Brenta", "Sila", "Langhe", NULL };
static const char *const it_forms[] = { "S.p.A.", "S.r.l.", NULL };
static const char *const es_places[] = { "Gredos", "Montsec", "Rioja", NULL };
static const char *const es_forms[] = { "S.A.", "S.L.", NULL };
static const char *const se_places[] = { "Norrland", "Kolmården", "Gotland", NULL };
static const char *const se_forms[] = { "AB", NULL };
static const char *const no_places[] = { "Hardanger", "Finnmark", "Romsdal", NULL };
static const char *const no_forms[] = { "AS", "ASA", NULL };
static const char *const pl_places[] = { "Mazowsze", "Podhale", "Kujawy", NULL };
static const char *const pl_forms[] = { "Sp. z o.o.", "S.A.", NULL };

/* scheme, id digits, locality */
const struct demo_country demo_countries[] = {
    { "BE", "Belgium", "BE-BCE_KBO", 10, "Liège", be_places, be_forms, 34 },
    { "FR", "France", "FR-RCS", 9, "Paris", fr_places, fr_forms, 15 },
    { "DE", "Germany", "DE-CR", 6, "München", de_places, de_forms, 12 },
    { "NL", "Netherlands", "NL-KVK", 8, "Den Haag", nl_places, nl_forms, 10 },
    { "US", "United States", "US-EIN", 9, "Arlington", us_places, us_forms, 10 },
    { "GB", "United Kingdom", "GB-COH", 8, "Bristol", gb_places, gb_forms, 5 },
    { "IT", "Italy", "IT-CF", 11, "Roma", it_places, it_forms, 4 },
    { "ES", "Spain", "ES-RMC", 8, "Madrid", es_places, es_forms, 3 },
    { "SE", "Sweden", "SE-BLV", 10, "Linköping", se_places, se_forms, 3 },
    { "NO", "Norway", "NO-BRC", 9, "Kongsberg", no_places, no_forms, 2 },
    { "PL", "Poland", "PL-KRS", 10, "Warszawa", pl_places, pl_forms, 2 },
};
const size_t demo_ncountries = BF_ARRAY_LEN(demo_countries);

const char *const demo_trades[] = { "Defence Systems", "Optronics", "Aerospace", "Tactical Vehicles", "Munitions",
                                    "Cyber Security", "Avionics", "Engineering", "Naval Systems", "Radar",
                                    "Protective Equipment", "Logistics", "Simulation", "Communications",
                                    "Construction", "Composites", NULL };

static const struct demo_cpv cpv_drones[] = {
    { "35613000", "Military unmanned aerial vehicles", 0 },
    { "35730000", "Electronic warfare systems and counter measures", 0 },
};
static const struct demo_cpv cpv_aircraft[] = {
    { "35600000", "Military aircrafts, missiles and spacecraft", 0 },
    { "34700000", "Aircraft and spacecraft", 0 },
    { "50650000", "Repair and maintenance services of military aircrafts, missiles and spacecraft", 2 },
};
static const struct demo_cpv cpv_land[] = {
    { "35410000", "Armoured military vehicles", 0 },
    { "35400000", "Military vehicles and associated parts", 0 },
    { "35800000", "Individual and support equipment", 0 },
    { "50600000", "Repair and maintenance services of security and defence materials", 2 },
};
static const struct demo_cpv cpv_cyber[] = {
    { "48730000", "Security software package", 0 },
    { "35710000", "Command, control, communication and computer systems", 0 },
    { "72000000", "IT services: consulting, software development, Internet and support", 2 },
    { "73410000", "Military research and technology", 2 },
};
static const struct demo_cpv cpv_airdef[] = {
    { "35720000", "Intelligence, surveillance, target acquisition and reconnaissance", 0 },
    { "35600000", "Military aircrafts, missiles and spacecraft", 0 },
    { "50600000", "Repair and maintenance services of security and defence materials", 2 },
};
static const struct demo_cpv cpv_ammo[] = {
    { "35330000", "Ammunition", 0 },
    { "35300000", "Weapons, ammunition and associated parts", 0 },
};
static const struct demo_cpv cpv_infra[] = {
    { "45216200", "Construction work for military buildings and installations", 1 },
    { "45000000", "Construction work", 1 },
};
static const struct demo_cpv cpv_other[] = {
    { "35113400", "Protective and safety clothing", 0 },
    { "33140000", "Medical consumables", 0 },
    { "73400000", "Research and Development services on security and defence materials", 2 },
    { "79530000", "Translation services", 2 },
};

static const char *const t_drones[] = { "Tactical mini-UAS for land reconnaissance", "Counter-UAS detection and jamming systems",
                                        "Maritime VTOL drones for mine countermeasures", "UAV operator training and simulators",
                                        "Spare parts for tactical UAV fleet", NULL };
static const char *const t_aircraft[] = { "F-35A ground support equipment", "F-16 avionics obsolescence management",
                                          "Pilot training simulator services", "A400M spare engines pool",
                                          "Jet engine depot maintenance", "NH90 helicopter support", NULL };
static const char *const t_land[] = { "Light tactical 4x4 vehicles", "Spare parts for motorised infantry vehicles",
                                      "Night-vision goggles", "Individual soldier equipment", "Field kitchens and camp equipment",
                                      "Recovery vehicles maintenance", NULL };
static const char *const t_cyber[] = { "Security operations centre tooling", "Tactical radio encryption modules",
                                       "Electronic warfare training range", "Penetration testing services",
                                       "Secure network for deployable headquarters", NULL };
static const char *const t_airdef[] = { "Short-range air defence radars", "Ground-based air defence missile support",
                                        "Air surveillance radar upgrade", "Counter-rocket, artillery and mortar sensors", NULL };
static const char *const t_ammo[] = { "155 mm artillery ammunition", "5.56 mm small-arms ammunition", "81 mm mortar rounds",
                                      "Demolition charges and initiators", "Training ammunition", NULL };
static const char *const t_infra[] = { "Hangar renovation at Florennes air base", "Barracks renewal in Leopoldsburg",
                                       "Fuel depot modernisation at Zeebrugge", "Solar power plant at Kleine-Brogel",
                                       "Perimeter security at Beauvechain", "Ammunition storage site in Brasschaat", NULL };
static const char *const t_other[] = { "Medical supplies for deployed units", "Combat uniforms and protective clothing",
                                       "Research on lightweight body armour", "Translation and interpreting services", NULL };

const struct demo_cap demo_caps[] = {
    { "dronesUav", cpv_drones, BF_ARRAY_LEN(cpv_drones), t_drones, 14, 1.2e6 },
    { "combatAircraft", cpv_aircraft, BF_ARRAY_LEN(cpv_aircraft), t_aircraft, 10, 12e6 },
    { "land", cpv_land, BF_ARRAY_LEN(cpv_land), t_land, 20, 3e6 },
    { "cyberElectronicWarfare", cpv_cyber, BF_ARRAY_LEN(cpv_cyber), t_cyber, 12, 1.5e6 },
    { "airDefence", cpv_airdef, BF_ARRAY_LEN(cpv_airdef), t_airdef, 6, 20e6 },
    { "ammunition", cpv_ammo, BF_ARRAY_LEN(cpv_ammo), t_ammo, 12, 4e6 },
    { "infrastructure", cpv_infra, BF_ARRAY_LEN(cpv_infra), t_infra, 14, 8e6 },
    { "other", cpv_other, BF_ARRAY_LEN(cpv_other), t_other, 12, 0.8e6 },
};
const size_t demo_ncaps = BF_ARRAY_LEN(demo_caps);

const struct demo_ground demo_grounds[] = {
    { "art28-1e", "Only one operator can supply the system for technical reasons (interoperability with the fleet in service)", 40 },
    { "art28-1c", "Urgency resulting from a crisis: operational deployment does not allow the normal time limits", 18 },
    { "art28-1d", "Extreme urgency after unforeseeable events not attributable to the contracting authority", 8 },
    { "art28-3a", "Additional deliveries from the original supplier for partial replacement of equipment in service", 16 },
    { "art28-2a", "Research and development services", 12 },
    { "art28-1a", "No suitable tenders in the preceding restricted procedure", 6 },
};
const size_t demo_ngrounds = BF_ARRAY_LEN(demo_grounds);
