/**
 * Line charts of benchmark results as PNG files: a Vega-Lite spec compiled and rendered to SVG by
 * vega (headless, no canvas), then rasterised by resvg (system fonts; DejaVu on Debian).
 */
import type { TopLevelSpec } from 'vega-lite';

export interface Series {
  name: string;
  points: ReadonlyArray<{ x: number; y: number }>;
}

export interface LineChart {
  title: string;
  xTitle: string;
  yTitle: string;
  series: readonly Series[];
  /** A logarithmic x axis (sizes growing ×10). */
  logX?: boolean;
}

/** The chart as a PNG, 1200 px wide. */
export async function renderLineChart(chart: LineChart): Promise<Buffer> {
  // ES modules only: imported, not required, from this CommonJS build.
  const [vegaLite, vega, { Resvg }] = await Promise.all([import('vega-lite'), import('vega'), import('@resvg/resvg-js')]);
  const values = chart.series.flatMap((s) => s.points.filter((p) => Number.isFinite(p.y)).map((p) => ({ server: s.name, x: p.x, y: p.y })));
  const spec: TopLevelSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: chart.title,
    width: 560,
    height: 320,
    background: 'white',
    data: { values },
    mark: { type: 'line', point: true },
    encoding: {
      x: { field: 'x', type: 'quantitative', title: chart.xTitle, scale: { type: chart.logX ? 'log' : 'linear' }, axis: { format: '~s' } },
      y: { field: 'y', type: 'quantitative', title: chart.yTitle },
      color: { field: 'server', type: 'nominal', title: 'server' },
    },
  };
  const view = new vega.View(vega.parse(vegaLite.compile(spec).spec), { renderer: 'none' });
  try {
    const svg = await view.toSVG();
    return Buffer.from(new Resvg(svg, { font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans' }, fitTo: { mode: 'width', value: 1200 } }).render().asPng());
  } finally {
    view.finalize();
  }
}
