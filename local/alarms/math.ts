import { LocalAlarmError } from './errors.ts';

/** A time series over the evaluation timeline: one value (or none) per period. */
export type Series = readonly (number | undefined)[];

type Node =
  | { readonly t: 'num'; readonly v: number }
  | { readonly t: 'id'; readonly name: string }
  | { readonly t: 'call'; readonly fn: string; readonly args: readonly Node[] }
  | { readonly t: 'neg'; readonly arg: Node }
  | { readonly t: 'bin'; readonly op: string; readonly l: Node; readonly r: Node };

const TOKEN =
  /\s*(>=|<=|==|!=|&&|\|\||[-+*/(),<>]|[0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?|[A-Za-z_][A-Za-z0-9_]*)/y;

function tokenize(text: string): string[] {
  const tokens: string[] = [];
  TOKEN.lastIndex = 0;
  while (TOKEN.lastIndex < text.length) {
    const start = TOKEN.lastIndex;
    const m = TOKEN.exec(text);
    if (!m) {
      if (text.slice(start).trim() === '') break;
      throw new LocalAlarmError(`Cannot read the metric-math expression ${text} at ${text.slice(start)}`);
    }
    tokens.push(m[1]!);
  }
  return tokens;
}

/**
 * Parses the subset of CloudWatch metric math the stack's alarms use: numbers, metric ids,
 * + - * /, comparisons (> >= < <= == !=), AND/&&, OR/||, and the functions IF, FILL and DIFF.
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/using-metric-math.html
 */
export function parseExpression(text: string): Node {
  const tokens = tokenize(text);
  let i = 0;
  const peek = () => tokens[i];
  const take = (expected?: string) => {
    const token = tokens[i++];
    if (token === undefined || (expected !== undefined && token.toUpperCase() !== expected))
      throw new LocalAlarmError(
        `Metric math ${text}: expected ${expected ?? 'a term'}, got ${token ?? 'the end'}`,
      );
    return token;
  };
  const binary = (next: () => Node, ops: readonly string[]) => (): Node => {
    let left = next();
    while (peek() !== undefined && ops.includes(peek()!.toUpperCase())) {
      const op = take().toUpperCase();
      left = { t: 'bin', op, l: left, r: next() };
    }
    return left;
  };
  const primary = (): Node => {
    const token = take();
    if (token === '(') {
      const inner = or();
      take(')');
      return inner;
    }
    if (token === '-') return { t: 'neg', arg: primary() };
    if (/^[0-9.]/.test(token)) return { t: 'num', v: Number(token) };
    if (peek() === '(') {
      take('(');
      const args: Node[] = [];
      if (peek() !== ')') {
        args.push(or());
        while (peek() === ',') {
          take(',');
          args.push(or());
        }
      }
      take(')');
      return { t: 'call', fn: token.toUpperCase(), args };
    }
    return { t: 'id', name: token };
  };
  const mul = binary(primary, ['*', '/']);
  const add = binary(mul, ['+', '-']);
  const cmp = binary(add, ['>', '>=', '<', '<=', '==', '!=']);
  const and = binary(cmp, ['AND', '&&']);
  const or: () => Node = binary(and, ['OR', '||']);
  const tree = or();
  if (i !== tokens.length) throw new LocalAlarmError(`Metric math ${text}: unexpected ${tokens[i]}`);
  return tree;
}

const BINARY: Record<string, (a: number, b: number) => number | undefined> = {
  '+': (a, b) => a + b,
  '-': (a, b) => a - b,
  '*': (a, b) => a * b,
  '/': (a, b) => (b === 0 ? undefined : a / b),
  '>': (a, b) => Number(a > b),
  '>=': (a, b) => Number(a >= b),
  '<': (a, b) => Number(a < b),
  '<=': (a, b) => Number(a <= b),
  '==': (a, b) => Number(a === b),
  '!=': (a, b) => Number(a !== b),
  AND: (a, b) => Number(a !== 0 && b !== 0),
  '&&': (a, b) => Number(a !== 0 && b !== 0),
  OR: (a, b) => Number(a !== 0 || b !== 0),
  '||': (a, b) => Number(a !== 0 || b !== 0),
};

/**
 * Evaluates a parsed expression period by period. A missing input makes the result missing, except
 * where FILL replaces it; IF without an else branch gives no value when the condition is false.
 */
export function evaluateExpression(node: Node, inputs: ReadonlyMap<string, Series>, length: number): Series {
  const at = (s: Series | number, i: number) => (typeof s === 'number' ? s : s[i]);
  const map = (f: (i: number) => number | undefined): Series => Array.from({ length }, (_, i) => f(i));
  const ev = (n: Node): Series | number => {
    switch (n.t) {
      case 'num':
        return n.v;
      case 'id': {
        const s = inputs.get(n.name);
        if (!s) throw new LocalAlarmError(`Metric math: unknown id ${n.name}`);
        return s;
      }
      case 'neg': {
        const a = ev(n.arg);
        return map((i) => {
          const v = at(a, i);
          return v === undefined ? undefined : -v;
        });
      }
      case 'bin': {
        const [l, r, f] = [ev(n.l), ev(n.r), BINARY[n.op]!];
        return map((i) => {
          const [a, b] = [at(l, i), at(r, i)];
          return a === undefined || b === undefined ? undefined : f(a, b);
        });
      }
      case 'call':
        return call(n.fn, n.args.map(ev));
    }
  };
  const call = (fn: string, args: (Series | number)[]): Series => {
    if (fn === 'FILL') {
      const [s, fill] = args;
      return map((i) => at(s!, i) ?? at(fill!, i));
    }
    if (fn === 'DIFF') {
      const [s] = args;
      return map((i) => {
        const [now, before] = [at(s!, i), i > 0 ? at(s!, i - 1) : undefined];
        return now === undefined || before === undefined ? undefined : now - before;
      });
    }
    if (fn === 'IF') {
      const [c, a, b] = args;
      return map((i) => {
        const cond = at(c!, i);
        if (cond === undefined) return undefined;
        return cond !== 0 ? at(a!, i) : b === undefined ? undefined : at(b, i);
      });
    }
    throw new LocalAlarmError(`Metric math: function ${fn} is not supported by the local evaluator`);
  };
  const result = ev(node);
  return typeof result === 'number' ? map(() => result) : result;
}
