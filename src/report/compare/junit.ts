import type { Comparison } from './compare.js';

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** JUnit XML with one testcase per protocol × limit, so CI systems show each broken limit. */
export function formatJunit(c: Comparison): string {
  const failures = c.outcomes.filter((o) => o.status === 'fail').length;
  const skipped = c.outcomes.filter((o) => o.status === 'skipped').length;
  const counts = `tests="${c.outcomes.length}" failures="${failures}" errors="0" skipped="${skipped}"`;
  const cases = c.outcomes.map((o) => {
    const open =
      `    <testcase classname="rtbench.compare.${esc(o.protocol)}" ` +
      `name="${esc(`${o.protocol} ${o.rule}`)}" time="0"`;
    if (o.status === 'fail')
      return (
        `${open}>\n      <failure type="limit" message="${esc(o.message)}">${esc(o.message)}</failure>\n  ` +
        `  </testcase>`
      );
    if (o.status === 'skipped') return `${open}>\n      <skipped message="${esc(o.message)}"/>\n    </testcase>`;
    return `${open}>\n      <system-out>${esc(o.message)}</system-out>\n    </testcase>`;
  });
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="rtbench compare" ${counts}>`,
    `  <testsuite name="rtbench compare" ${counts} timestamp="${esc(c.current.startedAt)}">`,
    ...cases,
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n');
}
