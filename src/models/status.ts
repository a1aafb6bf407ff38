import { IStatus, IServicePacksAnswer } from '../types';
import { LoadableModel } from './loadable';

/** Fetches a status answer (the server's GET status; a fixture in tests). */
export type StatusFetcher = () => Promise<IStatus>;

/** What the server reports about itself (builders, pack folder, store, auth, host). */
export class StatusModel extends LoadableModel<IStatus> {}

/** Oracle's service ("Data Science") packs, shared by the panel and the explorer. */
export class ServicePacksModel extends LoadableModel<IServicePacksAnswer> {}
