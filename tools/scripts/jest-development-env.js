// Jest setupFiles entry: every test process runs in development mode, like
// `npm start`, unless the run itself chose a mode.
process.env.SWITCHBOARD_ENV ??= 'development';
