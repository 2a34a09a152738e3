import { DefaultLogger, Runtime } from '@temporalio/worker';

// Workers started by tests report only what went wrong.
Runtime.install({ logger: new DefaultLogger('WARN') });
