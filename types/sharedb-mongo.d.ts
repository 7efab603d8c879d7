// Typings for sharedb-mongo 6 (no @types package exists), written from its index.js. Only what
// Tandem's storage port (prisma-free-db/) uses is declared; the module must not be imported
// anywhere else.
declare module 'sharedb-mongo' {
  import type ShareDB from 'sharedb';
  import type { Collection, Db, MongoClient, MongoClientOptions } from 'mongodb';

  namespace ShareDbMongo {
    /** Hands sharedb-mongo an already connected client; it calls this once, at construction. */
    type ClientGetter = (callback: (error: Error | null, client?: MongoClient) => void) => void;

    interface Options {
      /** Options for the MongoClient sharedb-mongo creates from a URL (unused with a getter). */
      mongoOptions?: MongoClientOptions;
      /** A separate (e.g. secondary) deployment to run query polls against. */
      mongoPoll?: string | ClientGetter;
      mongoPollOptions?: MongoClientOptions;
      /** Delay (ms) before polling, for replication lag when `mongoPoll` is set. */
      pollDelay?: number;
      /** true: never create op indexes; `{src_seq_v: true}`: skip only that index. */
      disableIndexCreation?: boolean | { src_seq_v?: boolean };
      allowAllQueries?: boolean;
      /** Allows $where / $mapReduce from clients: arbitrary JS on the server. Keep false. */
      allowJSQueries?: boolean;
      /** Allows $aggregate from clients: can read any collection. Keep false. */
      allowAggregateQueries?: boolean;
      getOpsWithoutStrictLinking?: boolean;
    }

    /** sharedb-mongo reports its own errors as plain objects, not Error instances. */
    interface MongoAdapterError {
      code: number;
      message: string;
    }

    /** The adapter instance: a ShareDB DB plus sharedb-mongo's own helpers. */
    interface Instance extends ShareDB.DB {
      /** Set by close(); later calls fail with code 5101. */
      closed: boolean;
      /** Collections whose op collection sharedb-mongo believes is indexed. */
      opIndexes: Record<string, boolean>;
      disableIndexCreation: boolean | { src_seq_v?: boolean };
      getDbs(callback: (error: Error | null, mongo?: Db, mongoPoll?: Db) => void): void;
      getCollection(name: string, callback: (error: Error | null, collection?: Collection) => void): void;
      getOpCollection(name: string, callback: (error: Error | null, collection?: Collection) => void): void;
      /** 'o_' + collection by default. */
      getOplogCollectionName(collection: string): string;
      /** Returns `{code: 4102, message}` for 'system' and names starting with 'o_'; overridable. */
      validateCollectionName(collection: string): MongoAdapterError | undefined;
    }
  }

  interface ShareDbMongoFactory {
    new (mongo: string | ShareDbMongo.ClientGetter, options?: ShareDbMongo.Options): ShareDbMongo.Instance;
    (mongo: string | ShareDbMongo.ClientGetter, options?: ShareDbMongo.Options): ShareDbMongo.Instance;
  }

  const ShareDbMongo: ShareDbMongoFactory;
  export = ShareDbMongo;
}
