param location string = resourceGroup().location
param tags object = {}
param imageName string

resource api 'Microsoft.App/containerApps@2023-05-01' = {
  name: 'shop-api'
  location: location
  tags: union(tags, { 'azd-service-name': 'api' })
  properties: {
    configuration: {
      ingress: {
        external: true
        targetPort: 8000
      }
    }
    template: {
      containers: [
        {
          name: 'main'
          image: imageName
          resources: {
            cpu: json('0.5')
            memory: '1Gi'
          }
        }
      ]
    }
  }
}
