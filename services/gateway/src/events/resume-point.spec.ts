import { resumePoint } from './resume-point';

describe('resumePoint', () => {
  it('continues right after Last-Event-ID while the stream holds it', () => {
    expect(resumePoint(41, { firstSeq: 10, lastSeq: 50 })).toEqual({ fromSequence: 42 });
    expect(resumePoint(50, { firstSeq: 10, lastSeq: 50 })).toEqual({ fromSequence: 51 });
    expect(resumePoint(9, { firstSeq: 10, lastSeq: 50 })).toEqual({ fromSequence: 10 });
    // Emptied by retention: the next event is 51, so nothing after 50 was lost.
    expect(resumePoint(50, { firstSeq: 51, lastSeq: 50 })).toEqual({ fromSequence: 51 });
    expect(resumePoint(0, { firstSeq: 1, lastSeq: 0 })).toEqual({ fromSequence: 1 });
  });

  it('resumes from the oldest event kept when retention dropped the ones after Last-Event-ID', () => {
    expect(resumePoint(5, { firstSeq: 100, lastSeq: 150 })).toEqual({
      fromSequence: 100,
      reset: { reason: 'retention', lastEventId: 5, resumeFrom: 100, message: expect.stringContaining('events 6 to 99') },
    });
    expect(resumePoint(5, { firstSeq: 51, lastSeq: 50 }).reset).toMatchObject({ reason: 'retention', resumeFrom: 51 });
  });

  it('replays the whole stream when Last-Event-ID is beyond its newest event (it started over)', () => {
    expect(resumePoint(500, { firstSeq: 1, lastSeq: 10 })).toEqual({
      fromSequence: 1,
      reset: { reason: 'restarted', lastEventId: 500, resumeFrom: 1, message: expect.stringContaining('started over') },
    });
    expect(resumePoint(500, { firstSeq: 1, lastSeq: 0 }).reset).toMatchObject({ reason: 'restarted', resumeFrom: 1 });
  });
});
