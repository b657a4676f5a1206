// Where a board keeps its own member secret: one file in its data directory,
// readable by its owner only.
export const MEMBER_SECRET_FILE = 'member.secret';
