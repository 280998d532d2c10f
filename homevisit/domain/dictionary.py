"""The data dictionary: every observation a visit records, in one vocabulary.

The names here are used unchanged by the forms, the database columns, the JSON API and the exports
(docs/api.md "Fixed names"; the guidance behind the questions is in docs/guidance.md). Each field carries its question, its type, its
plausible range or allowed values, and the words used to build its error messages, so that the HTML
forms and the API give the same message for the same mistake.

An observation that was not made is ``None``: "not observed" differs from "no".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

BOOL = "bool"
CHOICE = "choice"
MULTI = "multi"
INT = "int"
DECIMAL = "decimal"
TEXT = "text"
DATE = "date"
DATETIME = "datetime"


@dataclass(frozen=True)
class Field:
    """One observation: its name, the question the practitioner answers, and what it may hold."""

    name: str
    section: str
    question: str
    kind: str
    noun: str = ""  # "the room temperature": builds "Enter the room temperature ..."
    hint: str = ""
    unit: str = ""
    choices: tuple[tuple[str, str], ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    places: int = 0
    max_length: int = 2000
    required: bool = False
    example: str = ""  # a plausible answer, used in messages: "Enter the room temperature as a number, like 18"
    sql_type: str = field(default="", compare=False)

    @property
    def values(self) -> list[str]:
        """The allowed values of a choice or multi-select field."""
        return [value for value, _label in self.choices]

    def label_for(self, value: Any) -> str:
        """The words shown for a stored value of a choice field."""
        for v, label in self.choices:
            if v == value:
                return label
        return str(value)

    @property
    def column_type(self) -> str:
        """The SQLite column type that stores this field."""
        if self.kind in (BOOL, INT):
            return "INTEGER"
        if self.kind == DECIMAL:
            return "REAL"
        return "TEXT"


@dataclass(frozen=True)
class Section:
    """One page of the visit journey."""

    key: str
    title: str
    description: str


SECTIONS: tuple[Section, ...] = (
    Section("seen", "Child seen and who was present", "When you visited, whether you saw the child, and who was there."),
    Section("sleep", "Sleep and cot", "Where the child sleeps and what the sleep space is like."),
    Section("food", "Food and nutrition", "How the child is fed and what food is in the home."),
    Section("weight", "Weight and growth", "Measurements taken today."),
    Section("mobility", "Mobility and development", "What the child can do, seen or reported."),
    Section("injuries", "Injuries and marks", "Every mark or injury you saw, one at a time."),
    Section("home", "Home conditions", "The state of the home and hazards to the child."),
    Section("presentation", "The child's presentation and voice", "How the child presented and what they said or did."),
    Section("summary", "Your account and actions taken", "What you saw and heard, what you think it means, and what you have already done."),
)
SECTION_KEYS = tuple(s.key for s in SECTIONS)
SECTION_BY_KEY = {s.key: s for s in SECTIONS}

VISITOR_ROLES = (
    ("health_visitor", "Health visitor"),
    ("social_worker", "Social worker"),
    ("housing_officer", "Housing officer"),
    ("nurse_or_gp", "Nurse or GP"),
    ("police", "Police"),
    ("other_professional", "Other professional"),
)

BODY_SITES = (
    ("head_scalp", "Head or scalp"),
    ("face", "Face"),
    ("left_ear", "Left ear"),
    ("right_ear", "Right ear"),
    ("left_eye", "Left eye area"),
    ("right_eye", "Right eye area"),
    ("left_eyelid", "Left eyelid"),
    ("right_eyelid", "Right eyelid"),
    ("left_subconjunctiva", "White of the left eye (subconjunctiva)"),
    ("right_subconjunctiva", "White of the right eye (subconjunctiva)"),
    ("left_cheek", "Left cheek"),
    ("right_cheek", "Right cheek"),
    ("left_jaw_angle", "Angle of the left jaw"),
    ("right_jaw_angle", "Angle of the right jaw"),
    ("mouth_frenulum", "Mouth or frenulum"),
    ("neck", "Neck"),
    ("chest", "Chest"),
    ("abdomen", "Abdomen"),
    ("back", "Back"),
    ("buttocks", "Buttocks"),
    ("genitals", "Genital area"),
    ("left_upper_arm", "Left upper arm"),
    ("left_forearm", "Left forearm"),
    ("left_wrist", "Left wrist"),
    ("left_hand", "Left hand"),
    ("right_upper_arm", "Right upper arm"),
    ("right_forearm", "Right forearm"),
    ("right_wrist", "Right wrist"),
    ("right_hand", "Right hand"),
    ("left_upper_leg", "Left thigh"),
    ("left_lower_leg", "Left lower leg"),
    ("left_ankle", "Left ankle"),
    ("left_foot", "Left foot"),
    ("right_upper_leg", "Right thigh"),
    ("right_lower_leg", "Right lower leg"),
    ("right_ankle", "Right ankle"),
    ("right_foot", "Right foot"),
)
BODY_SITES_NON_BONY = frozenset(
    {"left_ear", "right_ear", "left_eye", "right_eye", "left_eyelid", "right_eyelid", "left_subconjunctiva",
     "right_subconjunctiva", "left_cheek", "right_cheek", "neck", "chest", "abdomen", "back", "buttocks", "genitals"}
)
# TEN-4-FACESp (Pierce et al., Pediatrics 2021 [R]): bruising to the torso, ears, neck, frenulum, angle of jaw,
# cheeks, eyelids or subconjunctivae in a child under 4 years. The torso is the chest, abdomen, back, buttocks
# and genital area.
BODY_SITES_TEN4 = frozenset(
    {"chest", "abdomen", "back", "buttocks", "genitals", "left_ear", "right_ear", "neck", "mouth_frenulum",
     "left_jaw_angle", "right_jaw_angle", "left_cheek", "right_cheek", "left_eyelid", "right_eyelid",
     "left_subconjunctiva", "right_subconjunctiva"}
)

# The body map's diagrams (homevisit/domain/bodymap.py): which one a mark was placed on.
MAP_VIEWS = (("front", "Front of the body"), ("back", "Back of the body"), ("face", "Face, close up"))

# How a child gets about, least mobile first (#15). "Not independently mobile" (Leeds SCP [S]) is the first three.
MOBILITY_CHOICES = (
    ("not_mobile", "Not mobile: stays where they are put"),
    ("rolling", "Rolling over"),
    ("sitting", "Sitting without support, not moving about"),
    ("crawling", "Crawling"),
    ("bottom_shuffling", "Bottom-shuffling"),
    ("cruising", "Cruising along furniture, or standing"),
    ("walking", "Walking on their own"),
)
NOT_INDEPENDENTLY_MOBILE = frozenset({"not_mobile", "rolling", "sitting"})
# How far each level gets a child about on their own, for comparing with what an explanation needs
MOBILITY_RANK = {"not_mobile": 0, "rolling": 1, "sitting": 2, "crawling": 3, "bottom_shuffling": 3, "cruising": 4,
                 "walking": 5}

# What the carer's explanation says happened, and the least mobility it needs of the child (None: any child).
# An explanation that needs more than the child can do does not fit their development (R39).
MECHANISMS = (
    ("rolled_off", "Rolled off a bed, sofa or changing table", "rolling"),
    ("fell_crawling", "Fell or bumped into something while crawling or shuffling", "crawling"),
    ("pulled_up_fell", "Pulled up to stand, or was cruising, and fell", "cruising"),
    ("fell_walking", "Fell while walking or running", "walking"),
    ("climbed_fell", "Climbed onto furniture or stairs and fell", "walking"),
    ("caused_it_themselves", "Caused it themselves (hit, scratched or bit themselves)", None),
    ("dropped", "Dropped, or fell from someone's arms", None),
    ("another_child", "Another child did it", None),
    ("other", "Something else", None),
)
MECHANISM_NEEDS = {key: needs for key, _label, needs in MECHANISMS}

# Whether the visit could be done (#15). Anything but "visited" is a visit with no access: the practitioner
# records what happened and what they tried, and the pages about the home and the child are skipped.
ACCESS_OUTCOMES = (
    ("visited", "Yes, I went in and saw the child"),
    ("no_answer", "No access: nobody answered"),
    ("refused_entry", "No access: entry was refused"),
    ("child_not_seen", "I went in, but the child was not seen"),
    ("seen_at_window", "The child was seen only at a window or the door"),
)
NO_ACCESS = frozenset({"no_answer", "refused_entry", "child_not_seen", "seen_at_window"})
# The outcomes where the child was not seen at all (so 'Did you see the child?' must say so)
NO_ACCESS_NOT_SEEN = frozenset({"no_answer", "refused_entry", "child_not_seen"})
# The pages a visit with no access skips (their answers, if any were given, are kept and shown)
NO_ACCESS_SKIPS = ("sleep", "food", "weight", "mobility", "injuries", "home", "presentation")
ACCESS_ATTEMPTS = (
    ("knocked", "Knocked or rang, and waited"),
    ("phoned", "Phoned the parent or carer"),
    ("card_left", "Left a card or letter saying I had called"),
    ("called_back", "Came back later the same day"),
    ("asked_neighbours", "Asked neighbours or others at the address"),
    ("checked_agencies", "Checked with other agencies (GP, nursery, social care)"),
    ("police_welfare_check", "Asked the police for a welfare check"),
)

YES_NO = ()  # booleans are Yes / No / Not observed; the labels live in the form widget


def _f(name: str, section: str, question: str, kind: str, noun: str, **kw: Any) -> Field:
    return Field(name=name, section=section, question=question, kind=kind, noun=noun, **kw)


VISIT_FIELDS: tuple[Field, ...] = (
    # --- seen -------------------------------------------------------------------------------------
    _f("visited_at", "seen", "When did the visit start?", DATETIME, "the date and time of the visit",
       hint="Change this if you are recording the visit after it happened", required=True),
    _f("visitor_role", "seen", "What is your role on this visit?", CHOICE, "your role on this visit",
       choices=VISITOR_ROLES, required=True),
    _f("child_seen", "seen", "Did you see the child?", CHOICE, "whether you saw the child",
       choices=(("awake", "Yes, awake"), ("asleep", "Yes, asleep"), ("not_seen", "No, not seen")), required=True),
    _f("child_not_seen_reason", "seen", "Why was the child not seen?", TEXT, "why the child was not seen",
       hint="Say who told you and what they said", max_length=1000),
    _f("access_outcome", "seen", "Did you get into the home and see the child?", CHOICE,
       "whether you got into the home and saw the child", choices=ACCESS_OUTCOMES,
       hint="If you could not do the visit, choose what happened: the pages about the home and the child are then skipped"),
    _f("access_attempts", "seen", "What did you try?", MULTI, "what you tried to get access",
       hint="Select all that apply", choices=ACCESS_ATTEMPTS),
    _f("access_notes", "seen", "What happened when you called?", TEXT, "what happened when you called",
       hint="Who you spoke to, what they said, and when you will try again", max_length=2000),
    _f("seen_alone", "seen", "Did you see the child alone, away from the carers?", BOOL, "whether you saw the child alone"),
    _f("interpreter_used", "seen", "Was an interpreter used?", BOOL, "whether an interpreter was used"),
    _f("carer_presentation", "seen", "How did the carers present?", CHOICE, "how the carers presented",
       choices=(("engaged", "Engaged"), ("intoxicated", "Intoxicated"), ("hostile", "Hostile"),
                ("intimidating", "Intimidating"), ("controlling", "Controlling"))),
    _f("account_consistency", "seen", "Were the carers' accounts consistent?", TEXT, "whether the carers' accounts were consistent",
       hint="Note anything that differed between carers or from earlier visits", max_length=2000),
    _f("agencies_involved", "seen", "Which other agencies are involved?", TEXT, "the other agencies involved",
       hint="For example, GP, nursery, housing, police", max_length=1000),
    # --- sleep ------------------------------------------------------------------------------------
    _f("sleep_space", "sleep", "Where does the child sleep?", CHOICE, "where the child sleeps",
       choices=(("cot", "Cot"), ("moses_basket", "Moses basket"), ("travel_cot", "Travel cot"),
                ("toddler_bed", "Toddler bed"), ("adult_bed", "Adult bed"), ("sofa", "Sofa"),
                ("floor", "Floor"), ("none", "No sleep space"))),
    _f("mattress_firm_flat_fits", "sleep", "Is the mattress firm and flat, and does it fit without gaps?", BOOL,
       "whether the mattress is firm, flat and fits"),
    _f("mattress_condition", "sleep", "What condition is the mattress in?", CHOICE, "the condition of the mattress",
       choices=(("clean", "Clean"), ("stained", "Stained"), ("wet", "Wet"), ("soiled", "Soiled"),
                ("mouldy", "Mouldy"), ("torn", "Torn"))),
    _f("covering", "sleep", "What covers the child when asleep?", CHOICE, "what covers the child when asleep",
       choices=(("none", "Nothing"), ("tucked_sheet_blanket", "Sheet or blanket tucked in, no higher than the shoulders"),
                ("sleep_bag", "Baby sleep bag"), ("duvet", "Duvet or quilt"), ("pillow", "Pillow"))),
    _f("items_in_cot", "sleep", "What else is in the sleep space?", MULTI, "what else is in the sleep space",
       hint="Select all that apply. Leave blank if you did not see the sleep space",
       choices=(("none", "Nothing else"), ("pillow", "Pillow"), ("bumper", "Cot bumper"), ("pod", "Pod or nest"),
                ("soft_toys", "Soft toys"), ("weighted_item", "Weighted item"), ("cords", "Cords or ties"))),
    _f("room_temp_c", "sleep", "What is the temperature of the room where the child sleeps?", DECIMAL,
       "the room temperature", hint="In degrees Celsius. 16 to 20°C is the usual advice", unit="°C",
       minimum=5, maximum=35, places=1, example="18"),
    _f("room_heated", "sleep", "Is the room heated?", BOOL, "whether the room is heated"),
    _f("child_cold", "sleep", "Is the child cold to touch, mottled or shivering?", BOOL, "whether the child is cold"),
    _f("co_sleeping", "sleep", "Does the child share a bed or sofa with an adult?", BOOL, "whether the child co-sleeps"),
    _f("co_sleeping_risks", "sleep", "Which co-sleeping risks are present?", MULTI, "the co-sleeping risks",
       hint="Select all that apply",
       choices=(("smoking", "An adult smokes"), ("alcohol_or_drugs", "Alcohol or drugs taken"),
                ("sofa_or_armchair", "Sofa or armchair"), ("premature_or_low_birth_weight", "Born early or small"),
                ("pets", "Pets in the bed"))),
    _f("left_in_cot_awake", "sleep", "Is the child left in the cot awake for long periods?", BOOL,
       "whether the child is left in the cot awake"),
    # --- food -------------------------------------------------------------------------------------
    _f("feeding_mode", "food", "How is the child fed?", CHOICE, "how the child is fed",
       choices=(("breast", "Breastfed"), ("formula", "Formula"), ("mixed", "Breast and formula"),
                ("solids", "Solids with milk"), ("family_foods", "Family foods"))),
    _f("age_appropriate_food", "food", "How much food suitable for the child's age is in the home?", CHOICE,
       "how much suitable food is in the home",
       choices=(("none", "None"), ("less_than_1_day", "Less than 1 day"), ("1_to_3_days", "1 to 3 days"),
                ("more_than_3_days", "More than 3 days"))),
    _f("formula_days", "food", "How many days of formula are in the home?", INT, "the number of days of formula",
       hint="0 if none", unit="days", minimum=0, maximum=60, example="3"),
    _f("spoiled_food_accessible", "food", "Is mouldy or spoiled food within the child's reach?", BOOL,
       "whether spoiled food is within reach"),
    _f("kitchen_usable", "food", "Which of these work in the kitchen?", MULTI, "what works in the kitchen",
       hint="Select all that work",
       choices=(("fridge", "Fridge"), ("cooker", "Cooker"), ("water", "Running water"), ("none", "None of these"))),
    _f("feed_observed", "food", "Did you observe a feed?", BOOL, "whether you observed a feed"),
    _f("feed_notes", "food", "What did you see during the feed?", TEXT, "what you saw during the feed", max_length=2000),
    _f("child_hungry_or_hoarding", "food", "Did the child seem hungry, or hoard or gorge food?", BOOL,
       "whether the child seemed hungry"),
    _f("food_bank_offered", "food", "Did you offer a food bank referral?", BOOL, "whether you offered a food bank referral"),
    # --- weight -----------------------------------------------------------------------------------
    _f("weight_kg", "weight", "What does the child weigh?", DECIMAL, "the child's weight",
       hint="In kilograms, to 2 decimal places, like 9.45. Leave blank if not weighed", unit="kg",
       minimum=0.3, maximum=40, places=2, example="9.45"),
    _f("weight_clothing", "weight", "What was the child wearing when weighed?", CHOICE,
       "what the child was wearing when weighed",
       hint="Weigh babies and children under 2 naked",
       choices=(("naked", "Naked"), ("nappy", "Nappy only"), ("vest_and_pants", "Vest and pants"), ("clothed", "Clothed"))),
    _f("scale_type", "weight", "What type of scale did you use?", CHOICE, "the type of scale",
       choices=(("class_iii", "Class III medical scale"), ("other", "Other scale"))),
    _f("scale_id", "weight", "Scale identifier", TEXT, "the scale identifier", hint="The serial or asset number",
       max_length=100),
    _f("scale_calibration_date", "weight", "When was the scale last calibrated?", DATE, "the calibration date",
       hint="On the scale's calibration label"),
    _f("length_height_cm", "weight", "Length or height", DECIMAL, "the length or height",
       hint="In centimetres. Leave blank if not measured", unit="cm", minimum=30, maximum=130, places=1, example="74.5"),
    _f("length_method", "weight", "How was length or height measured?", CHOICE, "how length or height was measured",
       choices=(("board", "Length board"), ("mat", "Length mat"), ("stadiometer", "Stadiometer"))),
    _f("ofc_cm", "weight", "Head circumference", DECIMAL, "the head circumference", hint="In centimetres",
       unit="cm", minimum=25, maximum=60, places=1, example="45.2"),
    _f("mother_height_cm", "weight", "Height of birth mother", DECIMAL, "the height of the birth mother",
       hint="In centimetres, measured or reported", unit="cm", minimum=100, maximum=220, places=1, example="165"),
    _f("father_height_cm", "weight", "Height of birth father", DECIMAL, "the height of the birth father",
       hint="In centimetres, measured or reported", unit="cm", minimum=100, maximum=220, places=1, example="178"),
    _f("remeasured_confirmed", "weight", "Did you re-weigh the child and confirm this weight?", BOOL,
       "whether you re-weighed the child and confirmed the weight",
       hint="Needed when a weight is far from what is expected for the child's age"),
    # --- mobility ---------------------------------------------------------------------------------
    _f("mobility_level", "mobility", "How does the child get about on their own?", CHOICE, "how the child gets about",
       hint="What the child does without help, seen today or reported. A child who is not yet crawling, "
            "bottom-shuffling, cruising or walking is not independently mobile",
       choices=MOBILITY_CHOICES),
    _f("head_control", "mobility", "Holds head steady", BOOL, "whether the child holds their head steady"),
    _f("rolls", "mobility", "Rolls over", BOOL, "whether the child rolls over"),
    _f("sits_unsupported", "mobility", "Sits without support", BOOL, "whether the child sits without support"),
    _f("crawls_or_shuffles", "mobility", "Crawls or bottom-shuffles", BOOL, "whether the child crawls or shuffles"),
    _f("pulls_to_stand", "mobility", "Pulls to stand", BOOL, "whether the child pulls to stand"),
    _f("cruises", "mobility", "Cruises along furniture", BOOL, "whether the child cruises"),
    _f("stands_alone", "mobility", "Stands alone", BOOL, "whether the child stands alone"),
    _f("walks_independently", "mobility", "Walks alone", BOOL, "whether the child walks alone"),
    _f("milestones_evidence", "mobility", "How do you know about these skills?", CHOICE,
       "how you know about these skills",
       choices=(("observed", "I saw them today"), ("reported", "A carer told me"), ("both", "Some seen, some reported"))),
    _f("weight_bearing", "mobility", "Does the child take weight on both legs when held?", BOOL,
       "whether the child takes weight on their legs"),
    _f("skills_lost", "mobility", "Has the child lost a skill they had before?", BOOL, "whether the child has lost a skill"),
    _f("pain_on_handling", "mobility", "Does the child show pain when handled?", BOOL, "whether the child shows pain when handled"),
    _f("limb_asymmetry", "mobility", "Does the child move one side less than the other?", BOOL,
       "whether the child moves one side less"),
    _f("limb_not_used", "mobility", "Is the child not using an arm or leg?", BOOL, "whether the child is not using a limb"),
    _f("stimulation_toys", "mobility", "Are there toys and play suitable for the child's age?", CHOICE,
       "the toys and play available", choices=(("none", "None"), ("few", "A few"), ("adequate", "Enough"))),
    # --- injuries (visit level; the marks themselves are INJURY_FIELDS) ----------------------------
    _f("known_fractures", "injuries", "How many fractures is the child known to have had?", INT,
       "the number of known fractures", hint="From medical records or a clinician. 0 if none", minimum=0, maximum=50, example="0"),
    _f("fractures_different_ages", "injuries", "Are the fractures of different ages?", BOOL,
       "whether the fractures are of different ages"),
    _f("occult_fracture", "injuries", "Has a hidden (occult) fracture been found?", BOOL,
       "whether a hidden fracture has been found"),
    # --- home -------------------------------------------------------------------------------------
    _f("hca_smell", "home", "Is there a strong smell (urine, faeces, rot)?", BOOL, "whether there is a strong smell"),
    _f("hca_floors", "home", "Are floors dirty or covered in debris?", BOOL, "whether floors are dirty"),
    _f("hca_surfaces", "home", "Are kitchen surfaces dirty or cluttered with old food?", BOOL, "whether surfaces are dirty"),
    _f("hca_crockery", "home", "Are dishes and bottles left unwashed?", BOOL, "whether dishes are unwashed"),
    _f("hca_toilet_bath", "home", "Is the toilet or bath dirty or unusable?", BOOL, "whether the toilet or bath is dirty"),
    _f("hca_furnishings", "home", "Are beds and furniture dirty or broken?", BOOL, "whether furnishings are dirty or broken"),
    _f("hca_clothing_hair", "home", "Are the children's clothes or hair unwashed?", BOOL, "whether clothes or hair are unwashed"),
    _f("hca_rubbish", "home", "Is rubbish piled up inside?", BOOL, "whether rubbish is piled up"),
    _f("hazards", "home", "Which hazards are within the child's reach?", MULTI, "the hazards within reach",
       hint="Select all that apply",
       choices=(("none", "None seen"), ("medicines_drugs", "Medicines or drugs"), ("sharps", "Needles or sharps"),
                ("wiring", "Exposed wiring"), ("stairs", "Unguarded stairs or windows"), ("animals", "Unsafe animals"),
                ("smoke", "Smoke"))),
    _f("heating", "home", "Is the home heated?", BOOL, "whether the home is heated"),
    _f("hot_water", "home", "Is there hot water?", BOOL, "whether there is hot water"),
    _f("damp_mould", "home", "Is there damp or mould?", BOOL, "whether there is damp or mould"),
    _f("overcrowding", "home", "Is the home overcrowded?", BOOL, "whether the home is overcrowded"),
    _f("gcp2_physical", "home", "GCP2 grade: physical care", INT, "the GCP2 physical care grade",
       hint="1 to 5. Only if you are trained in the Graded Care Profile 2", minimum=1, maximum=5, example="2"),
    _f("gcp2_safety", "home", "GCP2 grade: safety", INT, "the GCP2 safety grade", hint="1 to 5", minimum=1, maximum=5, example="2"),
    _f("gcp2_love", "home", "GCP2 grade: love", INT, "the GCP2 love grade", hint="1 to 5", minimum=1, maximum=5, example="2"),
    _f("gcp2_esteem", "home", "GCP2 grade: esteem", INT, "the GCP2 esteem grade", hint="1 to 5", minimum=1, maximum=5, example="2"),
    # --- presentation -----------------------------------------------------------------------------
    _f("demeanour", "presentation", "How did the child seem?", CHOICE, "how the child seemed",
       choices=(("content", "Content"), ("interactive", "Interactive"), ("withdrawn", "Withdrawn"),
                ("watchful_frozen", "Watchful or frozen"), ("distressed", "Distressed"),
                ("unresponsive", "Unresponsive to carer"))),
    _f("hygiene", "presentation", "What was the child's hygiene like?", CHOICE, "the child's hygiene",
       choices=(("clean", "Clean"), ("dirty", "Dirty"), ("smelly", "Smelly"), ("sore_nappy_area", "Sore nappy area"),
                ("soiled_nappy", "Soiled nappy left on"))),
    _f("clothing_adequate", "presentation", "Is the child's clothing right for the temperature and their size?", BOOL,
       "whether the clothing is adequate"),
    _f("carer_interaction", "presentation", "How did the carer interact with the child?", CHOICE,
       "how the carer interacted with the child",
       choices=(("warm", "Warm"), ("indifferent", "Indifferent"), ("hostile", "Hostile"), ("fearful", "Fearful"))),
    _f("restraint_observed", "presentation", "Were the child's limbs taped, tied or otherwise restrained?", BOOL,
       "whether the child was restrained"),
    _f("day_in_the_life", "presentation", "What is a day in the child's life like?", TEXT, "a day in the child's life",
       hint="In the carer's words and your own", max_length=4000),
    _f("child_words_or_behaviour", "presentation", "What did the child say or do?", TEXT,
       "what the child said or did", hint="Exactly as seen or heard", max_length=4000),
    # --- summary ----------------------------------------------------------------------------------
    _f("observed_verbatim", "summary", "What did you see and hear?", TEXT, "what you saw and heard",
       hint="Exactly what was seen and said, by whom, and when. Keep your opinion for the next box", max_length=8000),
    _f("interpretation", "summary", "What do you think it means?", TEXT, "what you think it means",
       hint="Your professional view, and why it is or is not a concern", max_length=8000),
    _f("disclosure", "summary", "Did anyone disclose harm to the child?", CHOICE, "whether anyone disclosed harm",
       choices=(("none", "No"), ("by_child", "Yes, the child"), ("by_third_party", "Yes, someone else"))),
    _f("disclosure_details", "summary", "What was disclosed, and by whom?", TEXT, "what was disclosed", max_length=4000),
    _f("referral_made", "summary", "Have you made a referral to children's social care (MASH) about this visit?", BOOL,
       "whether you have made a referral"),
    _f("referral_reference", "summary", "Referral reference", TEXT, "the referral reference", max_length=100),
    _f("s47_started", "summary", "Has a section 47 enquiry started?", BOOL, "whether a section 47 enquiry has started"),
    _f("assessment_started_on", "summary", "When did the current social care assessment start?", DATE,
       "the assessment start date", hint="Leave blank if there is no open assessment"),
    _f("missed_appointments", "summary", "How many weighs or clinic appointments has the child missed since the last visit?",
       INT, "the number of missed appointments", hint="0 if none", minimum=0, maximum=20, example="1"),
)

INJURY_FIELDS: tuple[Field, ...] = (
    _f("type", "injuries", "Type of mark", CHOICE, "the type of mark", required=True,
       choices=(("bruise", "Bruise"), ("petechiae", "Petechiae"), ("abrasion", "Abrasion"), ("laceration", "Cut"),
                ("burn", "Burn or scald"), ("bite", "Bite"), ("swelling", "Swelling"), ("deformity", "Deformity"),
                ("ligature_mark", "Ligature mark"), ("suspected_fracture", "Suspected fracture"),
                ("other", "Another kind of mark"))),
    _f("body_site", "injuries", "Where on the body?", CHOICE, "where the mark is on the body", choices=BODY_SITES,
       required=True),
    _f("map_view", "injuries", "Is it on the front or the back?", CHOICE, "the side of the body",
       hint="Filled in when you tap the body map", choices=MAP_VIEWS),
    _f("size_mm", "injuries", "Size", INT, "the size of the mark", hint="Longest side in millimetres", unit="mm",
       minimum=0, maximum=500, example="15"),
    _f("pattern", "injuries", "Does it have a shape or pattern?", CHOICE, "the shape or pattern",
       choices=(("none", "No pattern"), ("hand", "Hand or fingers"), ("grip", "Grip marks"), ("ligature", "Ligature"),
                ("stick", "Stick or linear"), ("teeth", "Teeth"), ("implement", "Implement"))),
    _f("count", "injuries", "How many marks like this?", INT, "the number of marks", minimum=1, maximum=100, example="2"),
    _f("clustered", "injuries", "Are they clustered together?", BOOL, "whether the marks are clustered"),
    _f("colour", "injuries", "Colour", TEXT, "the colour",
       hint="Describe only. Colour is never used to date an injury", max_length=200),
    _f("explanation", "injuries", "Explanation given", TEXT, "the explanation", max_length=2000),
    _f("explanation_given_by", "injuries", "Who gave the explanation?", TEXT, "who gave the explanation", max_length=200),
    _f("mechanism", "injuries", "What does the explanation say happened?", CHOICE, "what the explanation says happened",
       hint="The service compares it with how the child gets about", choices=tuple((k, label) for k, label, _n in MECHANISMS)),
    _f("explanation_assessment", "injuries", "Is the explanation suitable?", CHOICE,
       "whether the explanation is suitable",
       hint="Unsuitable means implausible, inadequate or inconsistent with the injury or the child's development",
       choices=(("suitable", "Suitable"), ("unsuitable", "Unsuitable"), ("none", "No explanation given"),
                ("inconsistent", "Inconsistent between people or over time"))),
    _f("first_noticed_date", "injuries", "When did the carer first notice it?", DATE, "the date it was first noticed",
       hint="As the carer told you"),
    _f("medical_help_sought", "injuries", "Has medical help been sought?", BOOL, "whether medical help was sought"),
    _f("medical_help_date", "injuries", "When was medical help sought?", DATE, "the date medical help was sought"),
    _f("photo_taken", "injuries", "Was a photograph taken?", BOOL, "whether a photograph was taken"),
    _f("known_medical_condition", "injuries", "Has a clinician confirmed a condition that explains it?", CHOICE,
       "the confirmed medical condition",
       choices=(("none", "No"), ("coagulopathy", "Bleeding disorder"), ("osteogenesis_imperfecta", "Osteogenesis imperfecta"),
                ("congenital_dermal_melanocytosis", "Congenital dermal melanocytosis"))),
)

CARER_FIELDS: tuple[Field, ...] = (
    _f("role", "seen", "Who is this person to the child?", CHOICE, "who this person is to the child", required=True,
       choices=(("mother", "Mother"), ("father", "Father"), ("step_parent", "Step-parent"),
                ("partner_of_parent", "Partner of a parent"), ("grandparent", "Grandparent"),
                ("other_relative", "Other relative"), ("foster_carer", "Foster carer"), ("sibling", "Sibling"),
                ("friend_or_neighbour", "Friend or neighbour"), ("other", "Other"))),
    _f("name", "seen", "Name", TEXT, "their name", hint="Optional. Can be redacted before release", max_length=200),
    _f("parental_responsibility", "seen", "Do they have parental responsibility?", BOOL,
       "whether they have parental responsibility"),
    _f("lives_here", "seen", "Do they live here?", BOOL, "whether they live here"),
    _f("present_throughout", "seen", "Were they present for the whole visit?", BOOL, "whether they were present throughout"),
)

CHILD_FIELDS: tuple[Field, ...] = (
    _f("given_name", "child", "Given name", TEXT, "the child's given name", required=True, max_length=100),
    _f("family_name", "child", "Family name", TEXT, "the child's family name", required=True, max_length=100),
    _f("date_of_birth", "child", "Date of birth", DATE, "the child's date of birth", required=True),
    _f("sex", "child", "Sex", CHOICE, "the child's sex", required=True, hint="As recorded at birth, for the growth charts",
       choices=(("male", "Male"), ("female", "Female"))),
    _f("gestation_weeks", "child", "Gestation at birth: weeks", INT, "the weeks of gestation at birth", required=True,
       hint="22 to 44. 40 if the child was born at term and the exact gestation is not known", minimum=22, maximum=44, example="39"),
    _f("gestation_days", "child", "Gestation at birth: days", INT, "the days of gestation at birth", hint="0 to 6",
       minimum=0, maximum=6, example="3"),
    _f("birth_weight_kg", "child", "Birth weight", DECIMAL, "the birth weight", hint="In kilograms, like 3.25",
       unit="kg", minimum=0.3, maximum=6.5, places=3, example="3.25"),
    _f("nhs_number", "child", "NHS number", TEXT, "the NHS number", hint="10 digits, like 943 476 5919. Optional",
       max_length=12),
    _f("child_protection_plan", "child", "Does the child have a child protection plan?", BOOL,
       "whether the child has a child protection plan",
       hint="Change this on the child's page when a plan starts or ends"),
)

FIELDS_BY_NAME: dict[str, Field] = {f.name: f for f in VISIT_FIELDS}
INJURY_BY_NAME: dict[str, Field] = {f.name: f for f in INJURY_FIELDS}
CARER_BY_NAME: dict[str, Field] = {f.name: f for f in CARER_FIELDS}
CHILD_BY_NAME: dict[str, Field] = {f.name: f for f in CHILD_FIELDS}
MILESTONES = ("head_control", "rolls", "sits_unsupported", "crawls_or_shuffles", "pulls_to_stand", "cruises",
              "stands_alone", "walks_independently")
HCA_ITEMS = ("hca_smell", "hca_floors", "hca_surfaces", "hca_crockery", "hca_toilet_bath", "hca_furnishings",
             "hca_clothing_hair", "hca_rubbish")


# --- referrals (homevisit.services.referrals): what is stored about a referral, the hub's responses and strategy discussions
REFERRAL_METHODS = (("phone", "Phone"), ("secure_email", "Secure email"), ("portal", "Online portal"))
REFERRAL_DECISIONS = (
    ("assessment", "Accepted for assessment"),
    ("strategy_discussion", "Strategy discussion"),
    ("early_help", "Early help"),
    ("no_further_action", "No further action"),
    ("more_information", "More information requested"),
)
REFERRAL_STATUSES = (("draft", "Not sent yet"), ("sent", "Sent: waiting for acknowledgement"),
                     ("acknowledged", "Acknowledged: waiting for a decision"), ("decided", "Decided"))
REFERRAL_RESPONSE_KINDS = (
    ("sent", "Sent"), ("acknowledgement", "The hub acknowledged it"), ("decision", "The hub's decision"),
    ("information_sent", "The information asked for was sent"), ("dispute", "The referrer disagreed"),
    ("dispute_resolved", "The disagreement was resolved"), ("escalation", "An escalation step opened"),
)
STRATEGY_DECISIONS = (
    ("s47", "Section 47 enquiry"),
    ("medical", "Child protection medical"),
    ("no_further_action", "No further action"),
)
STRATEGY_AGENCIES = (
    ("social_care", "Children's social care"),
    ("police", "Police"),
    ("health", "Health (health visitor, GP, paediatrician or named nurse)"),
    ("education", "School, nursery or early years"),
    ("housing", "Housing"),
    ("other", "Another agency"),
)

REFERRAL_FIELDS: tuple[Field, ...] = (
    _f("id", "referral", "Referral id (a UUID the client chooses)", TEXT, "the referral id", required=True),
    _f("child_id", "referral", "The child", TEXT, "the child's id", required=True),
    _f("referrer_id", "referral", "Who made the referral (user id)", INT, "the referrer"),
    _f("agency", "referral", "Who the referral went to (a key of the instance's REFERRAL_AGENCIES)", TEXT,
       "the agency", required=True, hint="Default: mash, the Multi-Agency Safeguarding Hub"),
    _f("reason", "referral", "Why are you referring?", TEXT, "the reason", required=True, max_length=10_000),
    _f("supporting_rules", "referral", "Which required actions support the referral?", MULTI, "the supporting rules",
       hint="Rule ids, like R16; semicolon-separated in CSV"),
    _f("started_from", "referral", "Where it was started", CHOICE, "where it was started",
       choices=(("action", "A required action"), ("concern", "A concern"), ("child", "The child's page"),
                ("api", "The API"))),
    _f("form", "referral", "The multi-agency referral form's answers", TEXT, "the form",
       hint="JSON object keyed by question: household, parental_responsibility, parents_told, parents_consent, "
            "not_told_why, seen_and_heard, child_experience, other_agencies, next_steps", max_length=80_000),
    _f("status", "referral", "Where the referral has got to", CHOICE, "the status", choices=REFERRAL_STATUSES),
    _f("sent_at", "referral", "When did you send it?", DATETIME, "when it was sent"),
    _f("method", "referral", "How did you send it?", CHOICE, "how it was sent", choices=REFERRAL_METHODS),
    _f("reference", "referral", "Reference", TEXT, "the reference", max_length=200),
    _f("received_at", "referral", "When the hub is taken to have received it", DATETIME, "when it was received",
       hint="At once within working hours on a working day, else at the start of the next working day"),
    _f("ack_due_at", "referral", "When the acknowledgement is due", DATETIME, "the acknowledgement deadline",
       hint="Default: 1 working day after receipt (Working Together 2023)"),
    _f("decision_due_at", "referral", "When the decision is due", DATETIME, "the decision deadline",
       hint="Default: 1 working day after receipt (Working Together 2023)"),
    _f("acknowledged_at", "referral", "When the hub acknowledged it", DATETIME, "the acknowledgement"),
    _f("acknowledged_by", "referral", "Who at the hub acknowledged it", TEXT, "who acknowledged it", max_length=200),
    _f("decision", "referral", "What did the hub decide?", CHOICE, "the decision", choices=REFERRAL_DECISIONS),
    _f("decision_reasons", "referral", "The reasons the hub gave", TEXT, "the reasons", max_length=10_000),
    _f("decided_at", "referral", "When the hub decided", DATETIME, "when it decided"),
    _f("decided_by", "referral", "Who at the hub decided", TEXT, "who decided", max_length=200),
    _f("disputed_at", "referral", "When the referrer disagreed with the decision", DATETIME, "the dispute"),
    _f("dispute_reason", "referral", "Why do you disagree with the decision?", TEXT, "why", max_length=10_000),
    _f("dispute_resolved_at", "referral", "When the disagreement was resolved", DATETIME, "the resolution"),
    _f("dispute_resolution", "referral", "How was the disagreement resolved?", TEXT, "how", max_length=10_000),
    _f("escalation_step", "referral", "The escalation step reached (0: none open)", INT, "the step"),
    _f("pack_sha256", "referral", "SHA-256 of the signed referral pack (PDF/A)", TEXT, "the pack's fingerprint"),
    _f("pack_signed_at", "referral", "When the pack was signed", DATETIME, "when the pack was signed"),
    _f("created_at", "referral", "When the referral was first saved", DATETIME, "when it was saved"),
)
REFERRAL_RESPONSE_FIELDS: tuple[Field, ...] = (
    _f("referral_id", "referral_response", "The referral", TEXT, "the referral", required=True),
    _f("kind", "referral_response", "What happened", CHOICE, "what happened", choices=REFERRAL_RESPONSE_KINDS,
       required=True),
    _f("at", "referral_response", "When", DATETIME, "when", required=True),
    _f("hub_contact", "referral_response", "Who at the hub?", TEXT, "who at the hub", max_length=200),
    _f("decision", "referral_response", "The decision (for a decision)", CHOICE, "the decision",
       choices=REFERRAL_DECISIONS),
    _f("reasons", "referral_response", "The reasons given, or what was recorded", TEXT, "the reasons",
       max_length=10_000),
    _f("recorded_by", "referral_response", "Who recorded it (user id; empty when the service opened a step)", INT,
       "who recorded it"),
)
STRATEGY_FIELDS: tuple[Field, ...] = (
    _f("id", "strategy_discussion", "Strategy discussion id (a UUID the client chooses)", TEXT, "the id",
       required=True),
    _f("child_id", "strategy_discussion", "The child", TEXT, "the child", required=True),
    _f("referral_id", "strategy_discussion", "The referral it followed, if any", TEXT, "the referral"),
    _f("held_at", "strategy_discussion", "When was it held?", DATETIME, "when it was held", required=True),
    _f("attendees", "strategy_discussion", "Which agencies attended?", MULTI, "the agencies",
       choices=STRATEGY_AGENCIES, required=True),
    _f("decision", "strategy_discussion", "What was decided?", CHOICE, "the decision", choices=STRATEGY_DECISIONS,
       required=True),
    _f("notes", "strategy_discussion", "Notes of the discussion", TEXT, "the notes", max_length=10_000),
    _f("recorded_by", "strategy_discussion", "Who recorded it (user id)", INT, "who recorded it"),
)


def fields_in_section(section: str) -> list[Field]:
    """The visit fields asked on one section's page, in the order they are asked."""
    return [f for f in VISIT_FIELDS if f.section == section]


def dictionary_rows() -> list[dict[str, Any]]:
    """Every field of the data dictionary as plain rows: entity, name, question, type, unit, allowed values, section."""
    rows = []
    for entity, fields in (("child", CHILD_FIELDS), ("visit", VISIT_FIELDS), ("injury", INJURY_FIELDS),
                           ("carer_present", CARER_FIELDS), ("referral", REFERRAL_FIELDS),
                           ("referral_response", REFERRAL_RESPONSE_FIELDS), ("strategy_discussion", STRATEGY_FIELDS)):
        for f in fields:
            if f.choices:
                allowed = "; ".join(f"{v} ({label})" for v, label in f.choices)
            elif f.kind == BOOL:
                allowed = "true; false; null (not observed)"
            elif f.minimum is not None:
                allowed = f"{f.minimum:g} to {f.maximum:g}" + (f" {f.unit}" if f.unit else "")
            else:
                allowed = ""
            section = SECTION_BY_KEY[f.section].title if f.section in SECTION_BY_KEY else entity
            rows.append({"entity": entity, "name": f.name, "question": f.question, "type": f.kind,
                         "unit": f.unit, "allowed_values": allowed, "required": f.required, "section": section,
                         "hint": f.hint})
    return rows
