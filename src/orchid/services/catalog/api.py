"""Catalog HTTP routes: public reads and staff writes, each a thin call into the service."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response, status

from orchid.kit.errors import problems
from orchid.kit.responses import shared_json
from orchid.services.accounts.deps import StaffUser
from orchid.services.catalog.schemas import (
    BrandCreate,
    BrandRead,
    CategoryCreate,
    CategoryNode,
    PriceChange,
    ProductCreate,
    ProductPage,
    ProductQuery,
    ProductRead,
    ProductUpdate,
    VariantRead,
)
from orchid.services.catalog.service import CatalogService

router = APIRouter(prefix="/api/v1/catalog", tags=["catalog"])


async def get_catalog(request: Request) -> CatalogService:
    """Return the catalog as placed in this process (local or remote)."""
    catalog: CatalogService = request.app.state.services.catalog
    return catalog


CatalogDep = Annotated[CatalogService, Depends(get_catalog)]


STAFF = {401: "Not logged in", 403: "Not staff"}
INVALID = "The input did not validate"


# The public reads answer with the cached JSON as stored (no decode and encode per request),
# with an ETag and a short shared Cache-Control (kit/responses.py); `response_model` documents it.

@router.get("/products", response_model=ProductPage,
            responses=problems({404: "Unknown category", 422: INVALID}))
async def list_products(request: Request, catalog: CatalogDep,
                        query: Annotated[ProductQuery, Query()]) -> Response:
    """List published products: filter, sort and page with a cursor."""
    return shared_json(request, await catalog.listing_json(query))


@router.get("/products/{slug}", response_model=ProductRead,
            responses=problems({404: "No published product has this slug"}))
async def get_product(request: Request, catalog: CatalogDep, slug: str) -> Response:
    """Return a published product with its variants."""
    return shared_json(request, await catalog.product_json(slug))


@router.get("/categories", response_model=list[CategoryNode])
async def list_categories(request: Request, catalog: CatalogDep) -> Response:
    """Return the category tree."""
    return shared_json(request, await catalog.categories_json())


@router.get("/brands", response_model=list[BrandRead])
async def list_brands(request: Request, catalog: CatalogDep) -> Response:
    """Return every brand."""
    return shared_json(request, await catalog.brands_json())


@router.post("/products", status_code=status.HTTP_201_CREATED,
             responses=problems(STAFF | {409: "Slug or SKU taken", 422: INVALID}))
async def create_product(catalog: CatalogDep, _staff: StaffUser,
                         data: ProductCreate) -> ProductRead:
    """Create a product with its variants (staff)."""
    return await catalog.create_product(data=data)


@router.patch("/products/{slug}", responses=problems(
    STAFF | {404: "No such product", 409: "Slug taken", 422: INVALID}))
async def update_product(catalog: CatalogDep, _staff: StaffUser, slug: str,
                         data: ProductUpdate) -> ProductRead:
    """Change some fields of a product (staff)."""
    return await catalog.update_product(slug=slug, data=data)


@router.put("/variants/{sku}/price", responses=problems(
    STAFF | {404: "No such SKU", 422: "Price above MRP, or the input did not validate"}))
async def change_price(catalog: CatalogDep, _staff: StaffUser, sku: str,
                       data: PriceChange) -> VariantRead:
    """Set a variant's price and optionally its MRP (staff)."""
    return await catalog.change_price(sku=sku, data=data)


@router.post("/products/{slug}/publish", responses=problems(STAFF | {404: "No such product"}))
async def publish_product(catalog: CatalogDep, _staff: StaffUser, slug: str) -> ProductRead:
    """Show a product in the shop (staff)."""
    return await catalog.set_published(slug=slug, published=True)


@router.post("/products/{slug}/unpublish", responses=problems(STAFF | {404: "No such product"}))
async def unpublish_product(catalog: CatalogDep, _staff: StaffUser, slug: str) -> ProductRead:
    """Hide a product from the shop (staff)."""
    return await catalog.set_published(slug=slug, published=False)


@router.post("/brands", status_code=status.HTTP_201_CREATED,
             responses=problems(STAFF | {409: "Slug taken", 422: INVALID}))
async def create_brand(catalog: CatalogDep, _staff: StaffUser, data: BrandCreate) -> BrandRead:
    """Create a brand (staff)."""
    return await catalog.create_brand(data=data)


@router.post("/categories", status_code=status.HTTP_201_CREATED,
             responses=problems(STAFF | {409: "Slug taken", 422: "Unknown parent, or invalid"}))
async def create_category(catalog: CatalogDep, _staff: StaffUser,
                          data: CategoryCreate) -> CategoryNode:
    """Create a category (staff)."""
    return await catalog.create_category(data=data)
