"""Makes the sample photos of the thumbnail lab (lab 04): simple drawn scenes, so they need no licence.

Run: python images/make_samples.py  (needs Pillow)
"""
from pathlib import Path

from PIL import Image, ImageDraw

HERE = Path(__file__).parent / "samples"
SCENES = {
    "sunset.jpg": ((255, 140, 60), (250, 210, 90), "sun"),
    "lake.jpg": ((90, 160, 220), (40, 90, 160), "waves"),
    "forest.jpg": ((120, 200, 120), (30, 110, 50), "trees"),
}


def scene(top, bottom, kind: str) -> Image.Image:
    image = Image.new("RGB", (1200, 800), top)
    draw = ImageDraw.Draw(image)
    for y in range(800):  # a vertical gradient from top to bottom colour
        mix = y / 799
        draw.line([(0, y), (1200, y)], fill=tuple(int(a + (b - a) * mix) for a, b in zip(top, bottom)))
    if kind == "sun":
        draw.ellipse([480, 300, 720, 540], fill=(255, 235, 120))
    elif kind == "waves":
        for y in range(420, 800, 40):
            draw.arc([0, y, 1200, y + 60], 0, 180, fill=(230, 240, 255), width=4)
    else:
        for x in range(60, 1200, 160):
            draw.polygon([(x, 700), (x + 60, 420), (x + 120, 700)], fill=(20, 80, 40))
    return image


if __name__ == "__main__":
    HERE.mkdir(exist_ok=True)
    for name, (top, bottom, kind) in SCENES.items():
        scene(top, bottom, kind).save(HERE / name, quality=85)
        print("wrote", HERE / name)
