import { MINUTES_PER_DAY, PROFILE_NAMES, profileTrace, scenarioFaults } from '../../src/simulator/profiles';
import { seededRandom } from '../../src/simulator/random';
import { ArrivalProcess, drawArrivals, parseTraceCsv, rpsAt, traceToCsv } from '../../src/simulator/trace';

describe('parseTraceCsv', () => {
  test('reads one rate per minute after the header, skipping blank lines and CRLF endings', () => {
    const trace = parseTraceCsv('minute,rps\r\n0,1.5\r\n\r\n1,0\r\n2,20\r\n', 'load.csv');
    expect(trace).toEqual({ name: 'load.csv', rpsByMinute: [1.5, 0, 20], repeats: false });
  });

  test('round-trips through traceToCsv', () => {
    const trace = parseTraceCsv('minute,rps\n0,3\n1,4.25\n', 't');
    expect(parseTraceCsv(traceToCsv(trace), 't')).toEqual(trace);
  });

  test.each([
    ['an empty file', '', /t: the trace is empty/],
    ['a wrong header', 'min,rate\n0,1\n', /t line 1: header is "min,rate"; expected "minute,rps"/],
    ['a header without rows', 'minute,rps\n', /no rows/],
    ['a rate that is not a number', 'minute,rps\n0,1\n1,abc\n', /t line 3: rps "abc" is not a number >= 0/],
    ['a negative rate', 'minute,rps\n0,-1\n', /t line 2: rps "-1" is not a number >= 0/],
    ['a missing rate', 'minute,rps\n0,\n', /t line 2: rps "" is not a number >= 0/],
    ['a skipped minute', 'minute,rps\n0,1\n2,1\n', /t line 3: minute 2 where minute 1 was expected/],
    ['a fractional minute', 'minute,rps\n0.5,1\n', /t line 2: minute "0.5" is not a whole number/],
    ['an extra field', 'minute,rps\n0,1,2\n', /t line 2: "0,1,2" has 3 fields; expected 2/],
  ])('rejects %s, naming the line', (_, text, message) => {
    expect(() => parseTraceCsv(text, 't')).toThrow(message);
  });

  test('counts lines from 1 including blank lines before the error', () => {
    expect(() => parseTraceCsv('\nminute,rps\n0,1\n\n1,x\n', 't')).toThrow(/line 5:/);
  });
});

describe('arrivals', () => {
  const trace = { name: 't', rpsByMinute: [1.5, 10], repeats: true };

  test('deterministic arrivals carry fractions: 1.5 requests/s is 90 requests in the minute', () => {
    const arrivals = drawArrivals(trace, 0, 120, ArrivalProcess.DETERMINISTIC, seededRandom(1));
    expect(arrivals.slice(0, 60).reduce((a, b) => a + b, 0)).toBe(90);
    expect(arrivals.slice(60).reduce((a, b) => a + b, 0)).toBe(600);
  });

  test('Poisson arrivals average the rate and depend only on the seed', () => {
    const many = { name: 't', rpsByMinute: new Array(60).fill(50), repeats: false };
    const a = drawArrivals(many, 0, 3600, ArrivalProcess.POISSON, seededRandom(7));
    const b = drawArrivals(many, 0, 3600, ArrivalProcess.POISSON, seededRandom(7));
    expect(Array.from(a)).toEqual(Array.from(b));
    expect(a.reduce((x, y) => x + y, 0) / 3600).toBeCloseTo(50, 0);
  });

  test('seconds before 0 (the warm-up) read the end of a repeating trace', () => {
    expect(rpsAt(trace, -1)).toBe(10);
    expect(rpsAt(trace, -61)).toBe(1.5);
  });
});

describe('profiles', () => {
  test.each(PROFILE_NAMES)('%s is one repeating day (a week for business-week) of rates >= 0', (name) => {
    const trace = profileTrace(name);
    expect(trace.rpsByMinute).toHaveLength(name === 'business-week' ? 7 * MINUTES_PER_DAY : MINUTES_PER_DAY);
    expect(trace.repeats).toBe(true);
    expect(Math.min(...trace.rpsByMinute)).toBeGreaterThanOrEqual(0);
  });

  test('shapes: steady-low 2/s, steady-high 200/s, diurnal 5 to 150/s, spiky and event quiet at 2/s with peaks of 150 and 400', () => {
    const range = (name: typeof PROFILE_NAMES[number]) => {
      const rates = profileTrace(name).rpsByMinute;
      return [Math.min(...rates), Math.max(...rates)];
    };
    expect(range('steady-low')).toEqual([2, 2]);
    expect(range('steady-high')).toEqual([200, 200]);
    expect(range('diurnal')).toEqual([5, 150]);
    expect(range('spiky')).toEqual([2, 150]);
    expect(range('event')).toEqual([2, 400]);
  });

  test('spiky has five bursts of 20 to 60 minutes above the scale-out threshold (20 requests/s)', () => {
    const rates = profileTrace('spiky').rpsByMinute;
    const bursts: number[] = [];
    let length = 0;
    for (const rate of [...rates, 0]) {
      if (rate > 20) {
        length++;
      } else if (length > 0) {
        bursts.push(length);
        length = 0;
      }
    }
    expect(bursts).toHaveLength(5);
    for (const minutes of bursts) {
      expect(minutes).toBeGreaterThanOrEqual(18);
      expect(minutes).toBeLessThanOrEqual(60);
    }
  });

  test('new shapes: a flash crowd of 1,500/s for 8 minutes, bursts of 30/s for 4 minutes in 20, office hours on weekdays', () => {
    const flash = profileTrace('flash-crowd').rpsByMinute;
    expect(flash.filter((rps) => rps === 1500)).toHaveLength(8);
    expect(Math.min(...flash)).toBe(0.2);
    const bursts = profileTrace('periodic-bursts').rpsByMinute;
    expect(bursts.slice(0, 20)).toEqual([30, 30, 30, 30, ...new Array(16).fill(4)]);
    const week = profileTrace('business-week').rpsByMinute;
    expect(week[2 * 1440 + 11 * 60]).toBe(120);
    expect(week[2 * 1440 + 12 * 60 + 30]).toBe(72);
    expect(week[5 * 1440 + 11 * 60]).toBe(3);
    expect(week[3 * 60]).toBe(1);
  });

  test('a scenario is its profile\'s trace plus faults; a profile has none', () => {
    expect(profileTrace('event-crash-all').rpsByMinute).toEqual(profileTrace('event').rpsByMinute);
    expect(scenarioFaults('event-crash-all')).toEqual({ taskCrashes: [{ atMinute: 1140, tasks: 'all' }] });
    expect(scenarioFaults('event')).toBeUndefined();
  });
});
