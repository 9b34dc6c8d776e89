/** One HTTP route as Fastify registered it. */
export interface CatalogRoute {
  method: string;
  /** Fastify pattern, e.g. `/api/keys/:id`. */
  url: string;
}

/** Every route registered on the gateway's Fastify instance, collected by an onRoute hook (see OpenApiConfigurer). */
export class RouteCatalog {
  private readonly collected: CatalogRoute[] = [];

  add(route: CatalogRoute): void {
    this.collected.push(route);
  }

  routes(): readonly CatalogRoute[] {
    return this.collected;
  }
}
