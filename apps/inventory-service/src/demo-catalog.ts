import type { NewProduct } from './validate-inventory-requests';

function product(sku: string, name: string, euroCents: number, stock: number): NewProduct {
  return {
    sku,
    name,
    price: { currencyCode: 'EUR', amountMinor: BigInt(euroCents) },
    initialQuantity: stock,
  };
}

/**
 * A small coffee-shop catalog, so a fresh `npm start` has something to list,
 * reserve and order. Prices in euro cents. A few items are deliberately scarce
 * (the grinder, the scale) so "out of stock" is easy to see by hand.
 */
export const demoCatalog: readonly NewProduct[] = [
  product('COF-ETH-250', 'Ethiopian Yirgacheffe 250g', 1_290, 120),
  product('COF-COL-250', 'Colombian Huila 250g', 1_150, 150),
  product('COF-KEN-250', 'Kenyan AA Nyeri 250g', 1_490, 80),
  product('COF-BRA-1000', 'Brazil Cerrado Espresso Blend 1kg', 2_890, 60),
  product('COF-GUA-250', 'Guatemala Antigua 250g', 1_240, 90),
  product('COF-DECAF-250', 'Swiss Water Decaf 250g', 1_190, 40),
  product('TEA-SENCHA-100', 'Japanese Sencha 100g', 990, 70),
  product('TEA-EARL-100', 'Earl Grey Supreme 100g', 850, 70),
  product('BRW-V60-02', 'Hario V60 Dripper 02, ceramic', 2_490, 35),
  product('BRW-V60-FLT', 'Hario V60 Paper Filters 02 (100 pcs)', 590, 200),
  product('BRW-CHEMEX-6', 'Chemex Classic 6-Cup', 4_990, 15),
  product('BRW-AERO', 'AeroPress Original', 3_990, 25),
  product('BRW-FRENCH-1L', 'French Press 1 l, stainless steel', 3_490, 20),
  product('BRW-MOKA-3', 'Moka Pot, 3 cups', 2_990, 18),
  product('GRN-C40', 'Comandante C40 Hand Grinder', 25_900, 3),
  product('KET-GOOSE-1L', 'Gooseneck Kettle 1 l, temperature control', 8_990, 10),
  product('SCL-TIMER', 'Coffee Scale with Timer', 3_290, 2),
  product('MUG-STONE-350', 'Stoneware Mug 350 ml', 1_490, 100),
  product('CUP-TRAVEL-400', 'Insulated Travel Cup 400 ml', 2_490, 45),
  product('CLN-DESCALE', 'Descaling Powder (4 sachets)', 790, 150),
];
