import { matchPathTemplate, parsePathTemplate, PathTemplateError } from './path-template';

const match = (template: string, path: string) =>
  matchPathTemplate(parsePathTemplate(template), path);

describe('google.api.http path templates', () => {
  it('matches literals exactly', () => {
    expect(match('/v1/products', '/v1/products')).toEqual(new Map());
    expect(match('/v1/products', '/v1/product')).toBeUndefined();
    expect(match('/v1/products', '/v1/products/x')).toBeUndefined();
  });

  it('binds {field} to one segment, percent-decoded', () => {
    expect(match('/v1/products/{sku}', '/v1/products/LAMP%20ONE')).toEqual(
      new Map([['sku', 'LAMP ONE']]),
    );
    expect(match('/v1/products/{sku}', '/v1/products/a/b')).toBeUndefined();
    expect(match('/v1/products/{sku}', '/v1/products/')).toBeUndefined();
  });

  it('binds nested field paths', () => {
    expect(match('/v1/{book.shelf}/books/{book.id}', '/v1/s1/books/b2')).toEqual(
      new Map([
        ['book.shelf', 's1'],
        ['book.id', 'b2'],
      ]),
    );
  });

  it('binds {field=segments} with * and a trailing **, keeping slashes and an encoded %2F', () => {
    expect(match('/v1/{name=shelves/*}', '/v1/shelves/s1')).toEqual(
      new Map([['name', 'shelves/s1']]),
    );
    expect(match('/v1/{name=shelves/*}', '/v1/books/s1')).toBeUndefined();
    expect(match('/v1/files/{path=**}', '/v1/files/a/b%2Fc/d')).toEqual(
      new Map([['path', 'a/b%2Fc/d']]),
    );
  });

  it('requires the :verb and strips it before matching', () => {
    expect(match('/v1/orders/{order_id}:cancel', '/v1/orders/o1:cancel')).toEqual(
      new Map([['order_id', 'o1']]),
    );
    expect(match('/v1/orders/{order_id}:cancel', '/v1/orders/o1')).toBeUndefined();
    expect(match('/v1/auth:login', '/v1/auth:login')).toEqual(new Map());
    expect(match('/v1/auth:login', '/v1/auth:register')).toBeUndefined();
    // Without a verb in the template, a request verb does not slip into a variable.
    expect(match('/v1/orders/{order_id}', '/v1/orders/o1:cancel')).toBeUndefined();
  });

  it('refuses bad templates, naming them', () => {
    for (const bad of [
      'v1/x',
      '/v1/{a',
      '/v1/a}',
      '/v1/{a.}',
      '/v1/**/x',
      '/v1/{a}/{a}',
      '/v1/x:',
      '/v1//x',
    ]) {
      expect(() => parsePathTemplate(bad)).toThrow(PathTemplateError);
    }
  });
});
