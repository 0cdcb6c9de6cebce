from typing import NamedTuple

from app.models.enums import BaseUnit


class Conversion(NamedTuple):
    base: BaseUnit
    factor: float


UNITS: dict[str, Conversion] = {
    "元": Conversion(BaseUnit.CNY, 1),
    "万元": Conversion(BaseUnit.CNY, 1e4),
    "亿元": Conversion(BaseUnit.CNY, 1e8),
    "万亿元": Conversion(BaseUnit.CNY, 1e12),
    "千瓦": Conversion(BaseUnit.kW, 1),
    "兆瓦": Conversion(BaseUnit.kW, 1e3),
    "万千瓦": Conversion(BaseUnit.kW, 1e4),
    "度": Conversion(BaseUnit.kWh, 1),
    "千瓦时": Conversion(BaseUnit.kWh, 1),
    "万度": Conversion(BaseUnit.kWh, 1e4),
    "亿度": Conversion(BaseUnit.kWh, 1e8),
    "吨": Conversion(BaseUnit.t, 1),
    "万吨": Conversion(BaseUnit.t, 1e4),
    "米": Conversion(BaseUnit.m, 1),
    "公里": Conversion(BaseUnit.m, 1e3),
    "平方米": Conversion(BaseUnit.m2, 1),
    "万平方米": Conversion(BaseUnit.m2, 1e4),
    "亩": Conversion(BaseUnit.m2, 10000 / 15),
    "%": Conversion(BaseUnit.ratio, 0.01),
    "倍": Conversion(BaseUnit.ratio, 1),
    "个": Conversion(BaseUnit.count, 1),
    "家": Conversion(BaseUnit.count, 1),
    "项": Conversion(BaseUnit.count, 1),
    "强": Conversion(BaseUnit.rank, 1),
    "年": Conversion(BaseUnit.year, 1),
}
"""Each unit as a source states it, with the base unit and factor it normalizes to."""


class UnknownUnitError(ValueError):
    pass


def normalize(value: float, unit: str) -> tuple[float, BaseUnit]:
    """Convert a stated value and unit to its base unit."""
    try:
        conversion = UNITS[unit]
    except KeyError:
        known = ", ".join(UNITS)
        raise UnknownUnitError(f"unknown unit {unit!r}; the normalizer knows: {known}") from None
    # Round away binary noise such as 6.16 * 1000 = 6160.000000000001.
    return round(value * conversion.factor, 6), conversion.base
