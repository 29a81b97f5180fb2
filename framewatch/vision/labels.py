"""COCO class names mapped to Rekognition-style labels, parents and categories.

Pure data and lookups, no I/O: the vision service's table (it lives with the service), used to name
detections and give them Rekognition's parents, so that a rule on ``Vehicle`` matches a ``Car``.
Names follow Rekognition's taxonomy where it has the object (``Person``, ``Car``, ``Vehicle``,
``Transportation`` ...).
"""

from __future__ import annotations

from dataclasses import dataclass

# The 80 COCO classes in the order every COCO-trained detector (NanoDet, YOLO) emits them.
COCO_CLASSES: tuple[str, ...] = (
    "person", "bicycle", "car", "motorcycle", "airplane", "bus", "train", "truck", "boat",
    "traffic light", "fire hydrant", "stop sign", "parking meter", "bench", "bird", "cat", "dog",
    "horse", "sheep", "cow", "elephant", "bear", "zebra", "giraffe", "backpack", "umbrella",
    "handbag", "tie", "suitcase", "frisbee", "skis", "snowboard", "sports ball", "kite",
    "baseball bat", "baseball glove", "skateboard", "surfboard", "tennis racket", "bottle",
    "wine glass", "cup", "fork", "knife", "spoon", "bowl", "banana", "apple", "sandwich", "orange",
    "broccoli", "carrot", "hot dog", "pizza", "donut", "cake", "chair", "couch", "potted plant",
    "bed", "dining table", "toilet", "tv", "laptop", "mouse", "remote", "keyboard", "cell phone",
    "microwave", "oven", "toaster", "sink", "refrigerator", "book", "clock", "vase", "scissors",
    "teddy bear", "hair drier", "toothbrush",
)  # fmt: skip


@dataclass(frozen=True)
class LabelInfo:
    """How Rekognition would name one detected object class."""

    name: str
    parents: tuple[str, ...] = ()  # nearest first; every ancestor, not just the direct one
    categories: tuple[str, ...] = ()


_VEHICLE = ("Vehicle", "Transportation")
_ANIMAL = ("Animal",)
_MAMMAL = ("Mammal", "Animal")
_FOOD = ("Food",)
_FRUIT = ("Fruit", "Plant", "Food")
_FURNITURE = ("Furniture",)
_ELECTRONICS = ("Electronics",)
_SPORT = ("Sport",)
_ACCESSORY = ("Accessories",)

_CAT_VEHICLE = ("Vehicles and Automotive",)
_CAT_ANIMAL = ("Animals and Pets",)
_CAT_FOOD = ("Food and Beverage",)
_CAT_HOME = ("Furniture and Furnishings",)
_CAT_TECH = ("Technology and Computing",)
_CAT_SPORT = ("Sports",)
_CAT_STYLE = ("Apparel and Accessories",)
_CAT_TOOLS = ("Tools and Machinery",)
_CAT_OUTDOOR = ("Buildings and Architecture",)
_CAT_PERSON = ("Person Description",)
_CAT_KITCHEN = ("Home and Indoors",)

_BY_COCO: dict[str, LabelInfo] = {
    "person": LabelInfo("Person", (), _CAT_PERSON),
    "bicycle": LabelInfo("Bicycle", _VEHICLE, _CAT_VEHICLE),
    "car": LabelInfo("Car", _VEHICLE, _CAT_VEHICLE),
    "motorcycle": LabelInfo("Motorcycle", _VEHICLE, _CAT_VEHICLE),
    "airplane": LabelInfo("Airplane", ("Aircraft", *_VEHICLE), _CAT_VEHICLE),
    "bus": LabelInfo("Bus", _VEHICLE, _CAT_VEHICLE),
    "train": LabelInfo("Train", _VEHICLE, _CAT_VEHICLE),
    "truck": LabelInfo("Truck", _VEHICLE, _CAT_VEHICLE),
    "boat": LabelInfo("Boat", _VEHICLE, _CAT_VEHICLE),
    "traffic light": LabelInfo("Traffic Light", ("Light",), _CAT_VEHICLE),
    "fire hydrant": LabelInfo("Fire Hydrant", (), _CAT_OUTDOOR),
    "stop sign": LabelInfo("Stop Sign", ("Sign", "Symbol"), _CAT_VEHICLE),
    "parking meter": LabelInfo("Parking Meter", (), _CAT_VEHICLE),
    "bench": LabelInfo("Bench", _FURNITURE, _CAT_HOME),
    "bird": LabelInfo("Bird", _ANIMAL, _CAT_ANIMAL),
    "cat": LabelInfo("Cat", ("Pet", *_MAMMAL), _CAT_ANIMAL),
    "dog": LabelInfo("Dog", ("Pet", "Canine", *_MAMMAL), _CAT_ANIMAL),
    "horse": LabelInfo("Horse", _MAMMAL, _CAT_ANIMAL),
    "sheep": LabelInfo("Sheep", ("Livestock", *_MAMMAL), _CAT_ANIMAL),
    "cow": LabelInfo("Cow", ("Cattle", "Livestock", *_MAMMAL), _CAT_ANIMAL),
    "elephant": LabelInfo("Elephant", ("Wildlife", *_MAMMAL), _CAT_ANIMAL),
    "bear": LabelInfo("Bear", ("Wildlife", *_MAMMAL), _CAT_ANIMAL),
    "zebra": LabelInfo("Zebra", ("Wildlife", *_MAMMAL), _CAT_ANIMAL),
    "giraffe": LabelInfo("Giraffe", ("Wildlife", *_MAMMAL), _CAT_ANIMAL),
    "backpack": LabelInfo("Backpack", ("Bag", *_ACCESSORY), _CAT_STYLE),
    "umbrella": LabelInfo("Umbrella", (), _CAT_STYLE),
    "handbag": LabelInfo("Handbag", ("Bag", *_ACCESSORY), _CAT_STYLE),
    "tie": LabelInfo("Tie", _ACCESSORY, _CAT_STYLE),
    "suitcase": LabelInfo("Suitcase", ("Luggage", "Bag", *_ACCESSORY), _CAT_STYLE),
    "frisbee": LabelInfo("Frisbee", ("Toy",), _CAT_SPORT),
    "skis": LabelInfo("Ski", ("Sports Equipment", *_SPORT), _CAT_SPORT),
    "snowboard": LabelInfo("Snowboard", ("Sports Equipment", *_SPORT), _CAT_SPORT),
    "sports ball": LabelInfo("Ball", ("Sports Equipment", *_SPORT), _CAT_SPORT),
    "kite": LabelInfo("Kite", ("Toy",), _CAT_SPORT),
    "baseball bat": LabelInfo("Baseball Bat", ("Sports Equipment", *_SPORT), _CAT_SPORT),
    "baseball glove": LabelInfo("Baseball Glove", ("Sports Equipment", *_SPORT), _CAT_SPORT),
    "skateboard": LabelInfo("Skateboard", ("Sports Equipment", *_SPORT), _CAT_SPORT),
    "surfboard": LabelInfo("Surfboard", ("Sports Equipment", *_SPORT), _CAT_SPORT),
    "tennis racket": LabelInfo("Racket", ("Sports Equipment", *_SPORT), _CAT_SPORT),
    "bottle": LabelInfo("Bottle", (), _CAT_FOOD),
    "wine glass": LabelInfo("Glass", (), _CAT_FOOD),
    "cup": LabelInfo("Cup", (), _CAT_KITCHEN),
    "fork": LabelInfo("Fork", ("Cutlery",), _CAT_KITCHEN),
    "knife": LabelInfo("Knife", ("Cutlery", "Weapon"), _CAT_KITCHEN),
    "spoon": LabelInfo("Spoon", ("Cutlery",), _CAT_KITCHEN),
    "bowl": LabelInfo("Bowl", (), _CAT_KITCHEN),
    "banana": LabelInfo("Banana", _FRUIT, _CAT_FOOD),
    "apple": LabelInfo("Apple", _FRUIT, _CAT_FOOD),
    "sandwich": LabelInfo("Sandwich", _FOOD, _CAT_FOOD),
    "orange": LabelInfo("Orange", ("Citrus Fruit", *_FRUIT), _CAT_FOOD),
    "broccoli": LabelInfo("Broccoli", ("Vegetable", "Plant", *_FOOD), _CAT_FOOD),
    "carrot": LabelInfo("Carrot", ("Vegetable", "Plant", *_FOOD), _CAT_FOOD),
    "hot dog": LabelInfo("Hot Dog", _FOOD, _CAT_FOOD),
    "pizza": LabelInfo("Pizza", _FOOD, _CAT_FOOD),
    "donut": LabelInfo("Donut", ("Sweets", *_FOOD), _CAT_FOOD),
    "cake": LabelInfo("Cake", ("Dessert", *_FOOD), _CAT_FOOD),
    "chair": LabelInfo("Chair", _FURNITURE, _CAT_HOME),
    "couch": LabelInfo("Couch", _FURNITURE, _CAT_HOME),
    "potted plant": LabelInfo("Potted Plant", ("Plant",), _CAT_HOME),
    "bed": LabelInfo("Bed", _FURNITURE, _CAT_HOME),
    "dining table": LabelInfo("Dining Table", ("Table", *_FURNITURE), _CAT_HOME),
    "toilet": LabelInfo("Toilet", (), _CAT_KITCHEN),
    "tv": LabelInfo("TV", ("Screen", *_ELECTRONICS), _CAT_TECH),
    "laptop": LabelInfo("Laptop", ("Computer", *_ELECTRONICS), _CAT_TECH),
    "mouse": LabelInfo("Mouse", ("Computer Hardware", *_ELECTRONICS), _CAT_TECH),
    "remote": LabelInfo("Remote Control", _ELECTRONICS, _CAT_TECH),
    "keyboard": LabelInfo("Computer Keyboard", ("Computer Hardware", *_ELECTRONICS), _CAT_TECH),
    "cell phone": LabelInfo("Mobile Phone", ("Phone", *_ELECTRONICS), _CAT_TECH),
    "microwave": LabelInfo("Microwave", ("Appliance",), _CAT_KITCHEN),
    "oven": LabelInfo("Oven", ("Appliance",), _CAT_KITCHEN),
    "toaster": LabelInfo("Toaster", ("Appliance",), _CAT_KITCHEN),
    "sink": LabelInfo("Sink", (), _CAT_KITCHEN),
    "refrigerator": LabelInfo("Refrigerator", ("Appliance",), _CAT_KITCHEN),
    "book": LabelInfo("Book", ("Publication",), _CAT_KITCHEN),
    "clock": LabelInfo("Clock", (), _CAT_KITCHEN),
    "vase": LabelInfo("Vase", ("Pottery",), _CAT_HOME),
    "scissors": LabelInfo("Scissors", (), _CAT_TOOLS),
    "teddy bear": LabelInfo("Teddy Bear", ("Toy",), _CAT_KITCHEN),
    "hair drier": LabelInfo("Hair Dryer", ("Appliance",), _CAT_KITCHEN),
    "toothbrush": LabelInfo("Toothbrush", ("Brush", "Tool"), _CAT_KITCHEN),
}

_BY_NAME: dict[str, LabelInfo] = {info.name.lower(): info for info in _BY_COCO.values()}


def label_for_coco(coco_name: str) -> LabelInfo:
    """The Rekognition-style label of a COCO class; unknown classes become a title-cased label."""
    info = _BY_COCO.get(coco_name.strip().lower())
    if info is not None:
        return info
    return LabelInfo(coco_name.strip().replace("_", " ").title())


def parents_of(label_name: str) -> tuple[str, ...]:
    """Every ancestor of a label (``"Car"`` -> ``("Vehicle", "Transportation")``), case-blind."""
    info = _BY_NAME.get(label_name.strip().lower())
    return info.parents if info else ()


def matches_label(detected: str, wanted: str) -> bool:
    """True when a detected label is ``wanted`` itself or one of its descendants."""
    wanted_key = wanted.strip().lower()
    if detected.strip().lower() == wanted_key:
        return True
    return any(parent.lower() == wanted_key for parent in parents_of(detected))
