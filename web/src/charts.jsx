// Chart.js, tree-shaken to bar charts (loaded with the HR console only), and a bar chart whose data
// is also given as a table for screen readers.
import { useEffect, useRef } from 'preact/hooks';
import { t, fmtNumber } from './i18n.js';
import { Chart, BarController, BarElement, CategoryScale, LinearScale, Tooltip, Legend } from 'chart.js';

Chart.register(BarController, BarElement, CategoryScale, LinearScale, Tooltip, Legend);

// A bar chart with its data also given as a table for screen readers.
export function BarChart({ title, labels, values, format = (v) => fmtNumber(v, 1) }) {
  const ref = useRef(null);
  useEffect(() => {
    const chart = new Chart(ref.current, { type: 'bar', data: { labels, datasets: [{ label: title, data: values, backgroundColor: '#1f5fa8' }] },
      options: { animation: false, responsive: true, maintainAspectRatio: false, plugins: { legend: { display: false } } } });
    return () => chart.destroy();
  }, [JSON.stringify([labels, values])]);
  return (
    <figure class="chart">
      <figcaption>{title}</figcaption>
      <div class="chart-box"><canvas ref={ref} role="img" aria-label={title} /></div>
      <details><summary>{t('chart_table')}</summary>
        <table><tbody>{labels.map((l, i) => <tr key={l}><th scope="row">{l}</th><td>{format(values[i])}</td></tr>)}</tbody></table></details>
    </figure>
  );
}

