// The package ships no types: the shape it returns, as far as the tests use it.
declare module 'parse-prometheus-text-format' {
  export default function parsePrometheusTextFormat(text: string): unknown[];
}
