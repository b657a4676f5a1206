import t from 'tap';
import { BOARD_ALLOCATOR_ENV, parseEnvAssignments, withAllocatorEnv } from '../../src/board/allocator-env.ts';

t.test('the allocator settings are added, an operator\'s own values kept', async (t) => {
  const env = withAllocatorEnv({ PATH: '/bin', MALLOC_ARENA_MAX: '4' });
  t.equal(env.MALLOC_ARENA_MAX, '4');
  t.equal(env.PATH, '/bin');
  for (const [k, v] of Object.entries(BOARD_ALLOCATOR_ENV)) if (k !== 'MALLOC_ARENA_MAX') t.equal(env[k], v, k);
});

t.test('NAME=value lists', async (t) => {
  t.same(parseEnvAssignments('A=1  B_2=x=y'), { A: '1', B_2: 'x=y' });
  t.same(parseEnvAssignments('none'), {});
  t.same(parseEnvAssignments(' '), {});
  t.throws(() => parseEnvAssignments('A=1 -B=2'), /not NAME=value/);
});
