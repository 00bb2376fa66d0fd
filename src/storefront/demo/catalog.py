"""A realistic demo catalog for a grocery and household distributor, as Zoho item JSON."""

import random
from datetime import UTC, datetime, timedelta
from typing import Any

from storefront.erp.items import format_zoho_time

CATEGORIES: dict[str, list[str]] = {
    "Beverages": [
        "Orange Juice",
        "Mango Juice",
        "Cola",
        "Sparkling Water",
        "Mineral Water",
        "Black Tea",
        "Green Tea",
        "Instant Coffee",
        "Ground Coffee",
        "Energy Drink",
    ],
    "Dairy & Eggs": [
        "Fresh Milk",
        "Laban",
        "Yogurt",
        "Feta Cheese",
        "Cheddar Slices",
        "Cream Cheese",
        "Butter",
        "Eggs Tray",
        "Labneh",
        "Ghee",
    ],
    "Bakery": [
        "Samoon Bread",
        "Pita Bread",
        "Toast Bread",
        "Croissants",
        "Date Maamoul",
        "Sesame Ka'ak",
        "Cake Rusk",
        "Burger Buns",
    ],
    "Rice & Grains": [
        "Basmati Rice",
        "Jasmine Rice",
        "Amber Rice",
        "Bulgur",
        "Red Lentils",
        "Chickpeas",
        "White Beans",
        "Freekeh",
        "Oats",
        "Vermicelli",
    ],
    "Cooking Oils": ["Sunflower Oil", "Corn Oil", "Olive Oil", "Vegetable Ghee", "Canola Oil", "Sesame Oil"],
    "Canned Food": [
        "Tomato Paste",
        "Tuna Chunks",
        "Sardines",
        "Chickpea Hummus",
        "Foul Medames",
        "Sweet Corn",
        "Green Peas",
        "Luncheon Meat",
    ],
    "Snacks & Sweets": [
        "Potato Chips",
        "Chocolate Bar",
        "Wafer Biscuits",
        "Halawa Tahini",
        "Date Biscuits",
        "Mixed Nuts",
        "Popcorn",
        "Baklava",
    ],
    "Spices & Condiments": [
        "Black Pepper",
        "Cumin",
        "Turmeric",
        "Baharat Mix",
        "Dried Lime",
        "Tahini",
        "Date Syrup",
        "Ketchup",
        "Mayonnaise",
        "Salt",
    ],
    "Cleaning Supplies": [
        "Dish Soap",
        "Laundry Powder",
        "Bleach",
        "Floor Cleaner",
        "Glass Cleaner",
        "Sponges",
        "Trash Bags",
        "Fabric Softener",
    ],
    "Personal Care": [
        "Shampoo",
        "Bath Soap",
        "Toothpaste",
        "Toothbrush",
        "Deodorant",
        "Hand Wash",
        "Shaving Foam",
        "Body Lotion",
    ],
    "Baby Care": [
        "Baby Diapers",
        "Baby Wipes",
        "Infant Formula",
        "Baby Shampoo",
        "Baby Cereal",
        "Baby Lotion",
    ],
    "Frozen Food": [
        "Frozen Chicken",
        "Chicken Nuggets",
        "Frozen Kubba",
        "Frozen Peas",
        "French Fries",
        "Beef Burgers",
        "Frozen Okra",
    ],
}
BRANDS = [
    "Al Rafidain",
    "Baghdad Best",
    "Dijla",
    "Furat",
    "Zagros",
    "Babylon",
    "Ishtar",
    "Nineveh",
    "Sumer",
    "Basra Gold",
    "Almarai",
    "Nido",
    "Lipton",
    "Nestle",
]
SIZES = ["250 g", "500 g", "1 kg", "2 kg", "5 kg", "330 ml", "1 L", "1.5 L", "6 pack", "12 pack", "24 pack"]

# Arabic names, as the distributor keeps them in a Zoho custom field: the product, then the brand,
# then the size (in Arabic-Indic digits).
ARABIC_NAME_FIELD = "Arabic Name"
ARABIC_NAME_FIELD_ID = "4815000000900001"
ARABIC: dict[str, str] = {
    "Orange Juice": "عصير برتقال",
    "Mango Juice": "عصير مانجو",
    "Cola": "كولا",
    "Sparkling Water": "مياه غازية",
    "Mineral Water": "مياه معدنية",
    "Black Tea": "شاي أسود",
    "Green Tea": "شاي أخضر",
    "Instant Coffee": "قهوة سريعة التحضير",
    "Ground Coffee": "قهوة مطحونة",
    "Energy Drink": "مشروب طاقة",
    "Fresh Milk": "حليب طازج",
    "Laban": "لبن",
    "Yogurt": "لبن رائب",
    "Feta Cheese": "جبنة فيتا",
    "Cheddar Slices": "شرائح جبنة شيدر",
    "Cream Cheese": "جبنة كريمية",
    "Butter": "زبدة",
    "Eggs Tray": "طبقة بيض",
    "Labneh": "لبنة",
    "Ghee": "سمن حيواني",
    "Samoon Bread": "خبز صمون",
    "Pita Bread": "خبز عربي",
    "Toast Bread": "خبز توست",
    "Croissants": "كرواسان",
    "Date Maamoul": "معمول بالتمر",
    "Sesame Ka'ak": "كعك بالسمسم",
    "Cake Rusk": "كيك مقرمش",
    "Burger Buns": "خبز برغر",
    "Basmati Rice": "رز بسمتي",
    "Jasmine Rice": "رز ياسمين",
    "Amber Rice": "رز عنبر",
    "Bulgur": "برغل",
    "Red Lentils": "عدس أحمر",
    "Chickpeas": "حمص حب",
    "White Beans": "فاصولياء بيضاء",
    "Freekeh": "فريكة",
    "Oats": "شوفان",
    "Vermicelli": "شعرية",
    "Sunflower Oil": "زيت دوار الشمس",
    "Corn Oil": "زيت ذرة",
    "Olive Oil": "زيت زيتون",
    "Vegetable Ghee": "سمن نباتي",
    "Canola Oil": "زيت كانولا",
    "Sesame Oil": "زيت سمسم",
    "Tomato Paste": "معجون طماطة",
    "Tuna Chunks": "قطع تونة",
    "Sardines": "سردين",
    "Chickpea Hummus": "حمص بالطحينة",
    "Foul Medames": "فول مدمس",
    "Sweet Corn": "ذرة حلوة",
    "Green Peas": "بزاليا خضراء",
    "Luncheon Meat": "لحم لانشون",
    "Potato Chips": "شيبس بطاطا",
    "Chocolate Bar": "لوح شوكولاتة",
    "Wafer Biscuits": "بسكويت ويفر",
    "Halawa Tahini": "حلاوة طحينية",
    "Date Biscuits": "بسكويت بالتمر",
    "Mixed Nuts": "مكسرات مشكلة",
    "Popcorn": "شامية",
    "Baklava": "بقلاوة",
    "Black Pepper": "فلفل أسود",
    "Cumin": "كمون",
    "Turmeric": "كركم",
    "Baharat Mix": "بهارات مشكلة",
    "Dried Lime": "نومي بصرة",
    "Tahini": "طحينة",
    "Date Syrup": "دبس التمر",
    "Ketchup": "كاتشب",
    "Mayonnaise": "مايونيز",
    "Salt": "ملح",
    "Dish Soap": "سائل غسيل الصحون",
    "Laundry Powder": "مسحوق غسيل",
    "Bleach": "قاصر",
    "Floor Cleaner": "منظف أرضيات",
    "Glass Cleaner": "منظف زجاج",
    "Sponges": "إسفنج",
    "Trash Bags": "أكياس نفايات",
    "Fabric Softener": "منعم أقمشة",
    "Shampoo": "شامبو",
    "Bath Soap": "صابون استحمام",
    "Toothpaste": "معجون أسنان",
    "Toothbrush": "فرشاة أسنان",
    "Deodorant": "مزيل عرق",
    "Hand Wash": "غسول يدين",
    "Shaving Foam": "رغوة حلاقة",
    "Body Lotion": "لوشن للجسم",
    "Baby Diapers": "حفاضات أطفال",
    "Baby Wipes": "مناديل أطفال مبللة",
    "Infant Formula": "حليب أطفال",
    "Baby Shampoo": "شامبو أطفال",
    "Baby Cereal": "سيريلاك أطفال",
    "Baby Lotion": "لوشن أطفال",
    "Frozen Chicken": "دجاج مجمد",
    "Chicken Nuggets": "ناكتس دجاج",
    "Frozen Kubba": "كبة مجمدة",
    "Frozen Peas": "بزاليا مجمدة",
    "French Fries": "بطاطا مقلية",
    "Beef Burgers": "برغر لحم",
    "Frozen Okra": "باميا مجمدة",
    "Al Rafidain": "الرافدين",
    "Baghdad Best": "بغداد بيست",
    "Dijla": "دجلة",
    "Furat": "الفرات",
    "Zagros": "زاگروس",
    "Babylon": "بابل",
    "Ishtar": "عشتار",
    "Nineveh": "نينوى",
    "Sumer": "سومر",
    "Basra Gold": "ذهب البصرة",
    "Almarai": "المراعي",
    "Nido": "نيدو",
    "Lipton": "ليبتون",
    "Nestle": "نستله",
    "250 g": "٢٥٠ غم",
    "500 g": "٥٠٠ غم",
    "1 kg": "١ كغم",
    "2 kg": "٢ كغم",
    "5 kg": "٥ كغم",
    "330 ml": "٣٣٠ مل",
    "1 L": "١ لتر",
    "1.5 L": "١٫٥ لتر",
    "6 pack": "٦ حبات",
    "12 pack": "١٢ حبة",
    "24 pack": "٢٤ حبة",
}

DEMO_CURRENCY = "IQD"


def demo_items(count: int = 1000, seed: int = 20261127) -> list[dict[str, Any]]:
    """Zoho-shaped items; a few inactive, a few out of stock (zero or negative); most with an Arabic
    name in a custom field; no pictures yet."""
    rng = random.Random(seed)
    # Its own stream, so the rest of the catalog is the same with or without Arabic names.
    arabic = random.Random(seed + 2)
    now = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)
    names = list(CATEGORIES)
    items: list[dict[str, Any]] = []
    seen: set[str] = set()
    index = 0
    while len(items) < count:
        index += 1
        category_index = index % len(names)
        category = names[category_index]
        product = rng.choice(CATEGORIES[category])
        brand = rng.choice(BRANDS)
        size = rng.choice(SIZES)
        name = f"{brand} {product} {size}"
        if name in seen:
            # Past the brand x product x size combinations (about 15,000), number the repeats.
            name = f"{name} #{index}"
        seen.add(name)
        roll = rng.random()
        stock = rng.randint(1, 400)
        if roll < 0.06:
            stock = rng.choice([0, -rng.randint(1, 5)])
        item_id = str(4815000000000000 + index)
        rate = rng.randrange(250, 60000, 250)
        modified = now + timedelta(minutes=index)
        items.append(
            {
                "item_id": item_id,
                "name": name,
                "sku": f"SKU-{category[:3].upper()}-{index:05d}",
                "description": f"{product} by {name.split(' ' + product)[0]}, {name.rsplit(product, 1)[1].strip()}.",
                "rate": rate,
                "status": "inactive" if rng.random() < 0.04 else "active",
                "unit": "pcs",
                "item_type": "inventory",
                "category_id": str(9000 + category_index),
                "category_name": category,
                "stock_on_hand": stock,
                "available_stock": stock,
                "actual_available_stock": stock,
                "image_name": "",
                "image_id": "",
                "image_type": "",
                "image_document_id": "",
                "created_time": format_zoho_time(now),
                "last_modified_time": format_zoho_time(modified),
                # About three items in four carry their Arabic name.
                "custom_fields": [arabic_name_field(f"{ARABIC[product]} {ARABIC[brand]} {ARABIC[size]}")]
                if arabic.random() < 0.75
                else [],
            }
        )
    return items


def arabic_name_field(value: str) -> dict[str, Any]:
    """The custom field carrying an item's Arabic name, in the shape Zoho gives custom fields."""
    return {"customfield_id": ARABIC_NAME_FIELD_ID, "label": ARABIC_NAME_FIELD, "value": value}


def demo_consumer_rates(items: list[dict[str, Any]], seed: int = 20261127) -> dict[str, int]:
    """Consumer prices for most items: about one in twenty-five has none and is not sold to consumers."""
    rng = random.Random(seed + 1)
    return {item["item_id"]: int(item["rate"]) for item in items if rng.random() >= 0.04}
