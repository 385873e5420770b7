// Unit tests of the pure parts of web/common.js (exact decimals, money and time formatting,
// parsing what a bidder types). Node's test runner, no packages: node --test tests/browser/
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  dec, decCmp, decAdd, decMul, decString, dropsMoreThan, dropPercent, fmtMoney, fmtNumber,
  parseAmount, toInputText, fmtTime, fmtClock, fmtCountdown,
} from '../../web/common.js';

const NBSP = '\u00a0';

test('decimals are exact: no floating point anywhere', () => {
  assert.deepEqual(dec('1234.50'), { n: 123450n, s: 2 });
  assert.deepEqual(dec('-0.5'), { n: -5n, s: 1 });
  for (const bad of ['1e3', '1,5', '+1', ' 1', '.5', '1.', '', null]) assert.equal(dec(bad), null, bad);
  assert.equal(decCmp('950.00', '950'), 0);
  assert.equal(decCmp('0.1', '0.09'), 1);
  assert.equal(decCmp('-1', '0'), -1);
  // 0.1 + 0.2 is 0.3 exactly, and a 28-digit amount keeps every digit.
  assert.equal(decString(decAdd(dec('0.1'), dec('0.2'))), '0.3');
  assert.equal(decString(decAdd(dec('9999999999999999999999999.99'), dec('0.01'))),
    '10000000000000000000000000.00');
  assert.equal(decString(decMul(dec('40.00'), dec('100'))), '4000.00');
  assert.equal(decString({ n: -5n, s: 3 }), '-0.005');
});

test('the confirmation threshold is compared exactly', () => {
  assert.equal(dropsMoreThan('1000.00', '900.00', '10'), false, 'exactly 10% is not more');
  assert.equal(dropsMoreThan('1000.00', '899.99', '10'), true);
  assert.equal(dropsMoreThan('1000.00', '1100.00', '10'), false, 'a rise is no drop');
  assert.equal(dropsMoreThan('0', '1', '10'), false, 'no standing bid to compare with');
  assert.equal(dropsMoreThan('3', '2.7', '10'), false, '0.3/3 is 10% exactly, not 9.999…');
  assert.equal(dropPercent('1200.00', '1000.00'), '16.6');
  assert.equal(dropPercent('1000', '1000'), '0.0');
});

test('money is shown the Dutch way, or the English way, digit for digit', () => {
  assert.equal(fmtMoney('1234.50', 'nl'), `€${NBSP}1.234,50`);
  assert.equal(fmtMoney('1234.50', 'en'), '€1,234.50');
  assert.equal(fmtMoney('2400000.00', 'nl'), `€${NBSP}2.400.000,00`);
  assert.equal(fmtMoney('-5', 'nl'), `-€${NBSP}5`);
  assert.equal(fmtMoney('450.000', 'nl'), `€${NBSP}450,000`, 'the decimals sent are kept');
  assert.equal(fmtMoney('999', 'en'), '€999');
  assert.equal(fmtNumber('1234.567890', 'nl'), '1.234,567890');
  assert.equal(fmtMoney('not a number', 'nl'), 'not a number');
});

test('amounts typed by a bidder become wire decimals, or are refused', () => {
  const nl = (t) => parseAmount(t, 'nl');
  const en = (t) => parseAmount(t, 'en');
  assert.equal(nl('1.234,50'), '1234.50');
  assert.equal(nl('1234,50'), '1234.50');
  assert.equal(nl('€ 1.234,5'), '1234.5');
  assert.equal(nl('1 234,50'), '1234.50');
  assert.equal(nl('1.234'), '1234', 'a Dutch dot groups thousands');
  assert.equal(nl('950'), '950');
  for (const bad of ['1.23,4', '1,2,3', '12.34', 'abc', '', '-5', '1e3', '1,2.3']) {
    assert.equal(nl(bad), null, bad);
  }
  assert.equal(en('1,234.50'), '1234.50');
  assert.equal(en('1234.5'), '1234.5');
  assert.equal(en('1,23'), null);
  assert.equal(toInputText('1234.50', 'nl'), '1234,50');
  assert.equal(toInputText('1234.50', 'en'), '1234.50');
});

test('times are shown in Europe/Amsterdam, summer and winter', () => {
  // 2025-06-03 08:00 UTC is 10:00 CEST; 2025-01-15 09:00 UTC is 10:00 CET.
  assert.equal(fmtClock(Date.UTC(2025, 5, 3, 8, 0, 0), 'nl'), '10:00:00');
  assert.equal(fmtClock(Date.UTC(2025, 0, 15, 9, 0, 0), 'nl'), '10:00:00');
  assert.match(fmtTime(Date.UTC(2025, 5, 3, 8, 5, 7), 'nl'), /03-06-2025.*10:05:07/);
  assert.equal(fmtCountdown(61_000), '01:01');
  assert.equal(fmtCountdown(3_600_000 + 2_000), '1:00:02');
  assert.equal(fmtCountdown(-5), '00:00');
  assert.equal(fmtCountdown(1), '00:01', 'a part second left still shows as a second');
});
