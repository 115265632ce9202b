// The bounds in libs/contracts/src/limits.ts are what event consumers check
// again; the same bounds on requests are buf.validate rules in the protos. This keeps the two
// from drifting apart: a change to one side fails here until the other follows.
import { getOption, type DescMessage } from '@bufbuild/protobuf';
import { field as fieldRules } from '@bufbuild/protovalidate/gen/buf/validate/validate_pb.js';
import {
  AdjustStockRequestSchema,
  CreatePostRequestSchema,
  CreateProductRequestSchema,
  CURRENCY_CODE_PATTERN,
  DISPLAY_NAME_MAX_CHARS,
  EMAIL_MAX_CHARS,
  MAX_ORDER_LINES,
  MAX_QUANTITY_PER_LINE,
  MAX_STOCK,
  MAX_UNIT_PRICE_MINOR,
  MoneySchema,
  OrderItemSchema,
  PlaceOrderRequestSchema,
  POST_TEXT_MAX_CHARS,
  PRODUCT_NAME_MAX_CHARS,
  RegisterRequestSchema,
  SKU_PATTERN,
  StockItemSchema,
} from '@switchboard/contracts';

function rulesOf(schema: DescMessage, name: string) {
  const field = schema.fields.find((f) => f.name === name);
  if (field === undefined) throw new Error(`${schema.typeName} has no field ${name}`);
  return getOption(field, fieldRules);
}

/** The CEL expressions of a field's custom rules, joined. */
function celOf(schema: DescMessage, name: string): string {
  return rulesOf(schema, name)
    .cel.map((c) => c.expression)
    .join(' ');
}

function stringRules(schema: DescMessage, name: string) {
  const type = rulesOf(schema, name).type;
  if (type.case !== 'string') throw new Error(`${schema.typeName}.${name} has no string rules`);
  return type.value;
}

function int32Rules(schema: DescMessage, name: string) {
  const type = rulesOf(schema, name).type;
  if (type.case !== 'int32') throw new Error(`${schema.typeName}.${name} has no int32 rules`);
  return type.value;
}

describe('limits.ts and the contracts’ rules agree', () => {
  it('on the sku pattern, wherever a request names a sku', () => {
    for (const schema of [StockItemSchema, OrderItemSchema, CreateProductRequestSchema]) {
      expect(celOf(schema, 'sku')).toContain(`'${SKU_PATTERN.source}'`);
    }
  });

  it('on money', () => {
    expect(celOf(MoneySchema, 'currency_code')).toContain(`'${CURRENCY_CODE_PATTERN.source}'`);
    expect(celOf(CreateProductRequestSchema, 'unit_price')).toContain(`<= ${MAX_UNIT_PRICE_MINOR}`);
  });

  it('on lines and quantities', () => {
    const items = rulesOf(PlaceOrderRequestSchema, 'items').type;
    expect(items.case === 'repeated' && items.value.maxItems).toBe(BigInt(MAX_ORDER_LINES));
    for (const schema of [OrderItemSchema, StockItemSchema]) {
      const quantity = int32Rules(schema, 'quantity');
      expect(quantity.lessThan).toEqual({ case: 'lte', value: MAX_QUANTITY_PER_LINE });
    }
    expect(int32Rules(CreateProductRequestSchema, 'initial_quantity').lessThan).toEqual({
      case: 'lte',
      value: MAX_STOCK,
    });
    expect(int32Rules(AdjustStockRequestSchema, 'delta').lessThan).toEqual({
      case: 'lte',
      value: MAX_STOCK,
    });
  });

  it('on text lengths', () => {
    expect(stringRules(CreateProductRequestSchema, 'name').maxLen).toBe(
      BigInt(PRODUCT_NAME_MAX_CHARS),
    );
    expect(stringRules(RegisterRequestSchema, 'display_name').maxLen).toBe(
      BigInt(DISPLAY_NAME_MAX_CHARS),
    );
    expect(stringRules(RegisterRequestSchema, 'email').maxLen).toBe(BigInt(EMAIL_MAX_CHARS));
    expect(celOf(CreatePostRequestSchema, 'text')).toContain(`size() <= ${POST_TEXT_MAX_CHARS}`);
  });
});
