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

DEMO_CURRENCY = "IQD"


def demo_items(count: int = 1000, seed: int = 20261127) -> list[dict[str, Any]]:
    """Zoho-shaped items; a few inactive, a few out of stock (zero or negative); no pictures yet."""
    rng = random.Random(seed)
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
        name = f"{rng.choice(BRANDS)} {product} {rng.choice(SIZES)}"
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
            }
        )
    return items


def demo_consumer_rates(items: list[dict[str, Any]], seed: int = 20261127) -> dict[str, int]:
    """Consumer prices for most items: about one in twenty-five has none and is not sold to consumers."""
    rng = random.Random(seed + 1)
    return {item["item_id"]: int(item["rate"]) for item in items if rng.random() >= 0.04}
